"""Write provenance records through :mod:`logging`, as ``_PROV_<time>_PROV_<JSON>`` lines."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Sequence

from ..handlers import ProvFileHandler, ProvMemoryHandler
from ..records.lines import PROV_PREFIX, dumps, escape_markers, has_marker
from .process import current_pid

__all__ = ["RecordWriter", "now", "iso_time"]

_second: tuple[int, str] = (-1, "")
_time_ns = time.time_ns


def _second_text(seconds: int) -> tuple[int, str]:
    """Return and remember ``(seconds, text)``: the ISO 8601 text of a whole second (UTC)."""
    global _second
    _second = (seconds, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)))
    return _second


def iso_time(timestamp_ns: int) -> str:
    """Format a ``time.time_ns()`` value as ISO 8601 with microseconds, in UTC."""
    seconds = timestamp_ns // 1_000_000_000
    second = _second if _second[0] == seconds else _second_text(seconds)
    return "%s.%06d+00:00" % (second[1], timestamp_ns // 1000 % 1_000_000)


def now() -> str:
    """Return the current time as an ISO 8601 string with microseconds, in UTC."""
    timestamp_ns = _time_ns()
    seconds = timestamp_ns // 1_000_000_000
    second = _second if _second[0] == seconds else _second_text(seconds)
    return "%s.%06d+00:00" % (second[1], timestamp_ns // 1000 % 1_000_000)


class RecordWriter:
    """Emit batches of records on a logger, one logging call per batch.

    Log records are built from a template instead of through `logging.LogRecord` (which looks
    up the caller's file, process and thread names on every call); a record factory installed
    with `logging.setLogRecordFactory` is honoured. When the logger has the plain configuration
    of `logprov.handlers.setup_logger` (one `ProvFileHandler` without formatter or filters, not
    propagating, or one `ProvMemoryHandler` likewise), a batch is written to that handler directly, as the logging call would write
    it; any other configuration goes through `logging.Logger.handle`.

    Parameters
    ----------
    logger : logging.Logger
        Where the records go (at level INFO).
    """

    __slots__ = ("logger", "_template", "_template_pid")

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger
        self._template: dict = {}
        self._template_pid = -1

    def enabled(self) -> bool:
        """Return True when the logger would write INFO records."""
        return self.logger.isEnabledFor(logging.INFO)

    def emit(self, records: Sequence[dict], timestamp: str | None = None) -> None:
        """Write ``records`` as one logging call whose every line is one ``_PROV_`` record.

        Parameters
        ----------
        records : sequence of dict
            The records.
        timestamp : str, optional
            The ISO time written on each line (default: now).
        """
        if records:
            self.emit_texts(((timestamp or now(), [dumps(record) for record in records]),))

    def emit_batches(self, batches: Sequence[tuple[str, Sequence[dict]]]) -> None:
        """Write several ``(timestamp, records)`` batches as one logging call."""
        self.emit_texts([(timestamp, [dumps(record) for record in records]) for timestamp, records in batches])

    def emit_texts(self, batches: Sequence[tuple[str, Sequence[str]]]) -> None:
        """Write ``(timestamp, texts)`` batches, each text the JSON of one record, as one logging call.

        A ``_PROV_`` inside a text is escaped (`escape_markers`), so that each line holds two
        markers only.
        """
        parts = []
        for timestamp, texts in batches:
            if texts:
                head = PROV_PREFIX + timestamp + PROV_PREFIX
                if has_marker(texts):
                    texts = [escape_markers(text) for text in texts]
                parts.append(head + ("\n" + head).join(texts))
        if not parts:
            return
        message = "\n".join(parts)
        handler = self._direct_handler()
        if handler is None:
            self.logger.handle(self._log_record(message))
            return
        try:
            handler.write_message(f"{_level_name(logging.INFO)} {self.logger.name} {message}")
        except Exception:
            handler.handleError(self._log_record(message))

    def _direct_handler(self) -> Any:
        """Return the logger's only handler when the logging call would just have it write the
        message as ``LEVEL logger message``; None otherwise."""
        logger = self.logger
        handlers = logger.handlers
        if len(handlers) != 1 or logger.propagate or logger.filters or logger.disabled:
            return None
        handler = handlers[0]
        if (type(handler) not in _DIRECT_HANDLERS or handler.formatter is not None or handler.filters
                or handler.level > logging.INFO or _record_factory() is not _LogRecord):
            return None
        return handler

    def _log_record(self, message: str) -> logging.LogRecord:
        if logging.getLogRecordFactory() is not logging.LogRecord:
            return logging.getLogRecordFactory()(
                self.logger.name, logging.INFO, __file__, 0, message, None, None, "emit"
            )
        if self._template_pid != current_pid():
            self._template = dict(
                logging.LogRecord(self.logger.name, logging.INFO, __file__, 0, "", None, None, "emit").__dict__
            )
            self._template_pid = current_pid()
        entry = _new_record(logging.LogRecord)
        fields = entry.__dict__
        fields.update(self._template)
        created = time.time_ns()
        fields["msg"] = message
        fields["created"] = created / 1e9
        fields["msecs"] = (created % 1_000_000_000) // 1_000_000 + 0.0
        fields["relativeCreated"] = (created - _START_NS) / 1e6
        thread = threading.current_thread()
        fields["thread"] = thread.ident
        fields["threadName"] = thread.name
        fields["process"] = current_pid()
        return entry

    def warn(self, message: str) -> None:
        """Write a warning (not a provenance record) on the same logger.

        A ``_PROV_`` inside the message (in a file name, say) is written as ``_PROV`` so that
        the line is never taken for a record.
        """
        self.logger.warning("logprov: %s", message.replace(PROV_PREFIX, "_PROV"))


_DIRECT_HANDLERS = frozenset({ProvFileHandler, ProvMemoryHandler})
_new_record = object.__new__
_level_name = logging.getLevelName
_record_factory = logging.getLogRecordFactory
_LogRecord = logging.LogRecord
_START_NS = int(getattr(logging, "_startTime") * 1e9)
