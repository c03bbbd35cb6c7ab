"""Turn logged values into PROV attribute values (str, int, float, bool, datetime)."""

from __future__ import annotations

import datetime
import json
import math
import re
from typing import Any, Dict, Tuple, Union

from prov.identifier import QualifiedName

from ..reading.reader import parse_time

__all__ = ["AttributeValue", "Pair", "Record", "VALUE_LIMIT", "TEXT_LIMIT", "attribute_value", "shorten", "to_time"]

AttributeValue = Union[str, int, float, bool, datetime.datetime]
Pair = Tuple[QualifiedName, Union[AttributeValue, QualifiedName]]
"""An attribute of a PROV statement: its name and its value."""
Record = Dict[str, Any]
"""A record's payload, normalised (see `logprov.reading.reader.RecordNormalizer`)."""

VALUE_LIMIT = 200
TEXT_LIMIT = 2000
_INT64 = 2**63
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def shorten(text: str, limit: int) -> str:
    """Return ``text`` without XML-illegal characters, cut to ``limit`` characters."""
    if not (text.isascii() and text.isprintable()) and _NOT_XML.search(text):
        text = _NOT_XML.sub("\ufffd", text)
    if len(text) > limit:
        text = text[: limit - 1] + "\u2026"
    return text


def attribute_value(value: Any, limit: int = TEXT_LIMIT) -> AttributeValue:
    """Return ``value`` in a form every PROV serialisation accepts.

    Booleans, 64-bit integers, finite floats and aware datetimes are kept; strings are cleaned
    and shortened; anything else (mappings, lists, ``None``, huge numbers) becomes compact JSON or
    its ``str``.

    Parameters
    ----------
    value : object
        A value decoded from a log.
    limit : int
        Longest string kept, in characters.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if -_INT64 <= value < _INT64 else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return shorten(value, limit)
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo is not None else value.astimezone()
    if isinstance(value, (dict, list, tuple)):
        try:
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
        except (TypeError, ValueError, RecursionError):
            text = str(value)
        return shorten(text, limit)
    return shorten(str(value), limit)


def to_time(value: Any) -> datetime.datetime | None:
    """Return ``value`` as an aware datetime (naive times are local), or None if it is not one."""
    if value is None:
        return None
    try:
        return parse_time(value)
    except (ValueError, TypeError):
        return None
