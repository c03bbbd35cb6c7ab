"""Write provenance records through :mod:`logging`, as ``_PROV_<time>_PROV_<JSON>`` lines."""

from __future__ import annotations

import datetime
import json
import logging
from typing import Any, Callable, Sequence

__all__ = ["PROV_PREFIX", "RecordWriter", "now", "dumps", "record_kind"]

PROV_PREFIX = "_PROV_"
_UTC = datetime.timezone.utc


def now() -> str:
    """Return the current time as an ISO 8601 string with microseconds, in UTC."""
    return datetime.datetime.now(_UTC).isoformat()


def _json_default(value: Any) -> str:
    return repr(value)


def _stdlib_dumps(record: dict) -> str:
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False, default=_json_default)


def _select_dumps() -> Callable[[dict], str]:
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


dumps = _select_dumps()


class RecordWriter:
    """Emit batches of records on a logger, one logging call per batch.

    Parameters
    ----------
    logger : logging.Logger
        Where the records go (at level INFO).
    """

    __slots__ = ("logger",)

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger

    def enabled(self) -> bool:
        """Return True when the logger would write INFO records."""
        return self.logger.isEnabledFor(logging.INFO)

    def emit(self, records: Sequence[dict]) -> None:
        """Write ``records`` as one logging call whose every line is one ``_PROV_`` record."""
        if not records:
            return
        head = f"{PROV_PREFIX}{now()}{PROV_PREFIX}"
        message = "\n".join([head + dumps(record) for record in records])
        logger = self.logger
        entry = logging.LogRecord(logger.name, logging.INFO, __file__, 0, message, None, None, "emit")
        logger.handle(entry)

    def warn(self, message: str) -> None:
        """Write a warning (not a provenance record) on the same logger."""
        self.logger.warning("logprov: %s", message)


def record_kind(record: dict) -> str:
    """Return the kind of a record: ``session``, ``session_end``, ``start``, ``parameters``,
    ``used``, ``generated``, ``end``, ``entity``, ``member``, ``derivation`` or ``unknown``."""
    if "session_id" in record:
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
