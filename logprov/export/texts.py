"""Text that every export format can carry: characters XML and UTF-8 cannot hold, replaced.

XML 1.0 (PROV-XML, RDF/XML, SVG) cannot hold the control characters other than tab, line feed
and carriage return, nor U+FFFE and U+FFFF; UTF-8 cannot hold a lone surrogate, such as those
Python makes of undecodable bytes (``"k\\udcff"``). Before the records of a log are written in
a format whose writer would fail on them or write a file its parser refuses (`CLEANED_FORMATS`),
such characters in any name or value are replaced by U+FFFD, as `logprov.model` does in values,
so that both export paths give the same document. Other text (non-BMP characters, quotes,
``]]>``) is escaped by the writers; PROV-JSON, PROV-N, Turtle and N-Triples carry every
character with escapes of their own.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Iterator, Union

from ..reading.reader import ProvRecord

__all__ = ["CLEANED_FORMATS", "carried_text", "carried_value", "carried_records"]

#: Formats whose writers cannot carry every Python string (see the module notes).
CLEANED_FORMATS = frozenset({"xml", "rdfxml", "jsonld", "dot", "svg", "png", "pdf"})

_UNCARRIED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def carried_text(text: str) -> str:
    """Return ``text`` with the characters XML or UTF-8 cannot hold replaced by U+FFFD."""
    if text.isprintable() or _UNCARRIED.search(text) is None:
        return text
    return _UNCARRIED.sub("\ufffd", text)


def carried_value(value: Any) -> Any:
    """Return ``value`` (a decoded payload or part of one) with `carried_text` applied to every
    string in it, keys included; ``value`` itself when nothing needed a change."""
    kind = value.__class__
    if kind is str:
        return carried_text(value)
    if kind is dict:
        changed = False
        items = []
        for key, item in value.items():
            new_key = carried_value(key)
            new_item = carried_value(item)
            changed = changed or new_key is not key or new_item is not item
            items.append((new_key, new_item))
        return dict(items) if changed else value
    if kind is list or kind is tuple:
        new = [carried_value(item) for item in value]
        if any(a is not b for a, b in zip(new, value)):
            return new if kind is list else tuple(new)
        return value
    if isinstance(value, str):
        return carried_text(str(value))
    return value


def carried_records(records: Iterable[Union[ProvRecord, dict]]) -> Iterator[Union[ProvRecord, dict]]:
    """Yield ``records`` with `carried_value` applied to each payload (and line timestamp);
    records that need no change are yielded as they are."""
    for record in records:
        if isinstance(record, ProvRecord):
            data = carried_value(record.data)
            timestamp = carried_text(record.timestamp)
            if data is not record.data or timestamp is not record.timestamp:
                record = ProvRecord(timestamp, data, record.source, record.line, record.session, record.legacy)
        else:
            record = carried_value(record)
        yield record
