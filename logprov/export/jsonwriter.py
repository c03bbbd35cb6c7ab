"""PROV-JSON written section by section as the statements come, then put together.

Each PROV-JSON section (``entity``, ``activity``, ``used``, …) collects its members, one per
line, in a temporary file; the output is the prefixes followed by the sections. Values are
encoded as `prov`'s PROV-JSON serializer encodes them, so that `prov.read` gives back the
document `build_document` builds.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple

import orjson
from prov.identifier import QualifiedName
from prov.serializers.provjson import encode_json_representation

from ..model.mapping import Pair
from .recordtypes import FORMAL_ATTRIBUTES, THIRD_SLOT
from .provcompat import xsd_datetime_text
from .spoolfiles import Spool
from .statementwriter import StatementWriter, Time
from .templates import Fill, compile_template

__all__ = ["JsonStreamWriter"]

_KEYS = {keyword: tuple(str(name) for name in formal) for keyword, formal in FORMAL_ATTRIBUTES.items()}
_SECTIONS = tuple(_KEYS)
_CACHE_LIMIT = 4096
_FLUSH_EVERY = 8192


def _dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, separators=(",", ":")).encode("ascii")


class JsonStreamWriter(StatementWriter):
    """A `logprov.model.statementsink.StatementSink` writing PROV-JSON.

    Parameters
    ----------
    folder : str
        Where the section files are kept until the end.
    indent : int or None
        Indentation of the sections and of their members (each member is on one line); None
        writes no line breaks.
    """

    def __init__(self, folder: str, *, indent: Optional[int] = 2) -> None:
        super().__init__(xsd_datetime_text, flush_every=_FLUSH_EVERY, time_limit=_CACHE_LIMIT)
        self.spools = {section: Spool(os.path.join(folder, f"{section}.json")) for section in _SECTIONS}
        self._lines: Dict[str, List[str]] = {section: [] for section in _SECTIONS}
        self._outer = b"" if indent is None else b"\n" + b" " * indent
        inner = "" if indent is None else "\n" + " " * (2 * indent)
        self._separator = "," + inner
        self._heads = {
            kind: f',{inner}"_:id{{3}}":{{{{"{keys[0]}":"{{0}}","{keys[1]}":"{{1}}"'
            for kind, keys in _KEYS.items()
            if len(keys) >= 2
        }
        self._pending = 0
        self._names: Dict[QualifiedName, str] = {}
        self._values: Dict[QualifiedName, Any] = {}

    def _fill(self, record: Dict[str, Any], attributes: Sequence[Pair]) -> None:
        names = self._names
        for attribute, value in attributes:
            key = names.get(attribute)
            if key is None:
                key = names[attribute] = str(attribute)
            kind = type(value)
            encoded: Any
            if kind is str or kind is bool:
                encoded = value
            elif isinstance(value, QualifiedName):
                encoded = self._values.get(value)
                if encoded is None:
                    encoded = self._values[value] = encode_json_representation(value)
            else:
                encoded = encode_json_representation(value)
            found = record.get(key)
            if found is None:
                record[key] = encoded
            elif type(found) is list:
                found.append(encoded)
            else:
                record[key] = [found, encoded]

    def encode_attributes(self, attributes: Sequence[Pair]) -> str:
        """Return ``,`` and the members of the attributes, or nothing when there are none."""
        if not attributes:
            return ""
        record: Dict[str, Any] = {}
        self._fill(record, attributes)
        return "," + _dumps(record)[1:-1].decode("utf-8")

    def template(self, kind: str, timed: bool, attributes: Sequence[Pair]) -> Tuple[List[str], Fill]:
        extra = self.attributes_text(attributes).replace("{", "{{").replace("}", "}}")
        third = f',"{_KEYS[kind][THIRD_SLOT[kind]]}":"{{2}}"' if timed else ""
        return self._lines[kind], compile_template(f"{self._heads[kind]}{third}{extra}}}}}")

    def flush(self) -> None:
        """Move the members written so far to the section files."""
        self._pending = 0
        for section, lines in self._lines.items():
            if lines:
                spool = self.spools[section]
                spool.parts.append("".join(lines).encode("utf-8"))
                spool.flush()
                lines.clear()

    def element(self, kind: str, name: str, attributes: Sequence[Pair], start: Time = None, end: Time = None) -> None:
        extra = self.attributes_text(attributes)
        if start is None and end is None:
            body = extra[1:]
        else:
            times = []
            if start is not None:
                times.append(f'"prov:startTime":"{self.time_of(start)}"')
            if end is not None:
                times.append(f'"prov:endTime":"{self.time_of(end)}"')
            body = ",".join(times) + extra
        self._lines[kind].append(f'{self._separator}"{name}":{{{body}}}')
        self._pending += 1
        if self._pending >= _FLUSH_EVERY:
            self.flush()

    def finish(self) -> None:
        """Write the document: prefixes, then every section."""
        output = self.output
        self.flush()
        prefixes = {prefix: namespace.uri for prefix, namespace in self._namespaces.items()}
        output.write(b"{" + self._outer + b'"prefix": ' + _dumps(prefixes))
        for section in _SECTIONS:
            spool = self.spools[section]
            if spool.empty:
                continue
            output.write(b"," + self._outer + _dumps(section) + b": {")
            spool.copy_to(output, skip=1)
            output.write(self._outer + b"}")
        output.write(b"\n}\n" if self._outer else b"}")

    def close(self) -> None:
        """Remove the section files."""
        super().close()
        for spool in self.spools.values():
            spool.close()
