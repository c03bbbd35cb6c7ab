"""What a capture has logged in its current session, read from its own handler."""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING

from ..errors import LogprovError
from ..handlers import ProvFileHandler, ProvMemoryHandler
from ..reading.reader import ProvRecord, iter_records

if TYPE_CHECKING:
    from ..export.notebook import NotebookDocument

__all__ = ["MEMORY_SOURCE", "logged_records", "session_document"]

#: Source name of the records read from a `ProvMemoryHandler`.
MEMORY_SOURCE = "<memory>"


def logged_records(logger: logging.Logger, session: str | None) -> list[ProvRecord]:
    """Return the records ``logger`` kept, those of ``session`` only when it is given.

    The first `ProvMemoryHandler` of the logger is read, else its first `ProvFileHandler`.

    Raises
    ------
    LogprovError
        When the logger has neither (the application configured other handlers).
    """
    sessions = None if session is None else (session,)
    for handler in logger.handlers:
        if isinstance(handler, ProvMemoryHandler):
            memory = io.StringIO("\n".join(handler.lines()))
            memory.name = MEMORY_SOURCE
            return list(iter_records(memory, sessions=sessions))
    for handler in logger.handlers:
        if isinstance(handler, ProvFileHandler):
            try:
                stream = open(handler.baseFilename, encoding="utf-8", errors="replace")
            except FileNotFoundError:
                return []
            with stream:
                return list(iter_records(stream, sessions=sessions))
    raise LogprovError(
        f"logger {logger.name!r} keeps its records neither in memory nor in a file of its own "
        "(set log_filename, or None to keep them in memory)"
    )


def session_document(records: list[ProvRecord]) -> "NotebookDocument":
    """Return the PROV document of ``records``, one that draws itself in a notebook."""
    from ..export.notebook import NotebookDocument
    from ..model.builder import DocumentBuilder

    document: NotebookDocument = DocumentBuilder().add_all(records).document(NotebookDocument)  # type: ignore[assignment]
    return document
