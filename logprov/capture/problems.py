"""Problems inside the capture, reported as warnings on its logger: once each, secrets hidden."""

from __future__ import annotations

from typing import Hashable

from .secrecy import SecrecyPolicy
from .writer import RecordWriter

__all__ = ["Problems"]

#: Problems remembered as reported, at most; past it, a problem may be reported again.
_REMEMBERED = 10_000


class Problems:
    """Report what the capture could not log, without ever raising into the user's code.

    Parameters
    ----------
    writer : RecordWriter
        Writes the warnings on the capture's logger.
    secret : SecrecyPolicy
        Hides secrets in the messages.
    """

    def __init__(self, writer: RecordWriter, secret: SecrecyPolicy) -> None:
        self.writer = writer
        self.secret = secret
        self._reported: set[Hashable] = set()

    def warn_once(self, key: Hashable, message: str) -> None:
        """Write ``message`` as a warning unless a problem of the same ``key`` was reported."""
        if key in self._reported:
            return
        if len(self._reported) < _REMEMBERED:
            self._reported.add(key)
        try:
            self.writer.warn(self.secret.redact_text(message))
        except Exception:
            pass

    def internal_error(self, name: str | None, exc: Exception) -> None:
        """Report an unexpected error of the capture while it logged ``name``."""
        self.warn_once(("internal", name, type(exc)),
                       f"provenance of {name!r} incomplete: internal error {type(exc).__name__}: {exc}")
