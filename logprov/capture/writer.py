"""Write provenance records through :mod:`logging`, as ``_PROV_<time>_PROV_<JSON>`` lines."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from typing import Any, Callable, Sequence

from ..handlers import ProvFileHandler, ProvMemoryHandler
from .process import current_pid

__all__ = [
    "PROV_PREFIX", "RecordWriter", "now", "iso_time", "dumps", "quote", "fragment", "record_kind",
    "escape_markers", "has_marker",
    "START", "PARAMETERS", "USED", "GENERATED", "USED_DIGEST", "GENERATED_DIGEST", "END",
]

PROV_PREFIX = "_PROV_"
_MARKER_START = re.compile(r"_(?=PROV_)")

#: Record texts filled with ``%`` formatting. Ids, times and UUIDs are inserted as they are
#: (they never need escaping); the other ``%s`` take JSON texts (`quote`, `dumps`, `fragment`).
#: Start: activity id, quoted name, start time, session id, quoted agent name, then a tail of
#: further keys (``,"function":…``, ``,"parent_activity_id":…``) or "".
START = '{"activity_id":"%s","name":%s,"startTime":"%s","in_session":"%s","agent_name":%s%s}'
#: Parameters: activity id, JSON object of the parameters.
PARAMETERS = '{"activity_id":"%s","parameters":%s}'
#: Usage and generation: activity id, quoted entity id, role tail (``,"used_role":…`` or "").
USED = '{"activity_id":"%s","used_id":%s%s}'
GENERATED = '{"activity_id":"%s","generated_id":%s%s}'
#: The same for a content digest as entity id (hexadecimal, inserted as it is).
USED_DIGEST = '{"activity_id":"%s","used_id":"%s"%s}'
GENERATED_DIGEST = '{"activity_id":"%s","generated_id":"%s"%s}'
#: Successful end: activity id, end time, duration in seconds (a float, written with ``%r``).
END = '{"activity_id":"%s","endTime":"%s","status":"success","duration":%r}'


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


def _json_default(value: Any) -> str:
    return repr(value)


def _stdlib_dumps(record: dict) -> str:
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False, default=_json_default)


def _select_dumps() -> Callable[[Any], str]:
    try:
        import orjson
    except ImportError:
        return _stdlib_dumps

    options = orjson.OPT_NON_STR_KEYS
    encode = orjson.dumps

    def fast_dumps(record: dict) -> str:
        try:
            return encode(record, default=_json_default, option=options).decode()
        except (TypeError, orjson.JSONEncodeError):
            return _stdlib_dumps(record)

    return fast_dumps


def _select_text_encoder() -> Callable[[str], bytes] | None:
    try:
        from orjson import dumps as encode
    except ImportError:
        return None
    return encode


dumps = _select_dumps()
_encode_text = _select_text_encoder()


def quote(text: str) -> str:
    """Return ``text`` as a JSON string literal."""
    if _encode_text is not None:
        try:
            return _encode_text(text).decode()
        except TypeError:
            pass
    return _stdlib_dumps(text)


def fragment(mapping: dict) -> str:
    """Return the keys of ``mapping`` as JSON object members to follow other members:
    ``,"key":value,…``, or "" for an empty mapping."""
    return "," + dumps(mapping)[1:-1] if mapping else ""


def escape_markers(text: str) -> str:
    """Return the JSON text ``text`` with no ``_PROV_`` in it.

    The ``_`` that starts each ``_PROV_`` is written as the JSON escape ``\\u005f``: a
    ``_PROV_`` can only stand inside a string of a JSON text, where the escape decodes to the
    same string, so the record reads back unchanged and its line holds only its two markers.
    """
    return _MARKER_START.sub(r"\\u005f", text)


def has_marker(texts: Sequence[str]) -> bool:
    """Return True when one of ``texts`` holds ``_PROV_``.

    The same as ``any(PROV_PREFIX in text for text in texts)``, faster on the texts of traced
    calls: a capital ``V`` is rare in them and looked for first, in one scan of all the texts.
    """
    return "V" in "".join(texts) and any(PROV_PREFIX in text for text in texts)


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
                head = "_PROV_" + timestamp + "_PROV_"
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
_START_NS = int(logging._startTime * 1e9)


#: Keys of a record of the facts of a session written after its session record.
_SESSION_FACTS = frozenset({"session_id", "packages", "git"})


def record_kind(record: dict) -> str:
    """Return the kind of a record: ``session``, ``session_facts`` (the packages or git state of
    a session, written after its record), ``session_end``, ``start``, ``parameters``, ``used``,
    ``generated``, ``end``, ``entity``, ``member``, ``derivation``, ``note`` or ``unknown``."""
    if "note_id" in record:
        return "note"
    if "session_id" in record:
        if record.keys() <= _SESSION_FACTS:
            return "session_facts"
        return "session_end" if "endTime" in record and "system" not in record else "session"
    if "activity_id" in record:
        for key, kind in (("used_id", "used"), ("generated_id", "generated"), ("parameters", "parameters"),
                          ("endTime", "end"), ("startTime", "start")):
            if key in record:
                return kind
        return "start" if "name" in record else "unknown"
    if "entity_id" in record:
        if "member_id" in record:
            return "member"
        if "progenitor_id" in record:
            return "derivation"
        return "entity"
    return "unknown"
