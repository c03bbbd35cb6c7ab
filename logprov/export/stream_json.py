"""PROV-JSON written section by section as the statements come, then put together.

Each PROV-JSON section (``entity``, ``activity``, ``used``, …) collects its members, one per
line, in a temporary file; the output is the prefixes followed by the sections. Values are
encoded as `prov`'s PROV-JSON serializer encodes them, so that `prov.read` gives back the
document `build_document` builds.
"""

from __future__ import annotations

import datetime
import itertools
import json
import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import orjson
from prov.identifier import Namespace, QualifiedName
from prov.model.records import _xsd_datetime_text
from prov.serializers.provjson import encode_json_representation

from ..model.mapping import Pair
from .kinds import FORMAL_ATTRIBUTES
from .memos import IdentityMemo
from .spools import BinaryOutput, Spool
from .templates import Fill, compile_template
from .timetexts import TimeTexts

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


class JsonStreamWriter:
    """A `logprov.model.stream.Sink` writing PROV-JSON.

    Parameters
    ----------
    folder : str
        Where the section files are kept until the end.
    indent : int or None
        Indentation of the sections and of their members (each member is on one line); None
        writes no line breaks.
    """

    def __init__(self, folder: str, *, indent: Optional[int] = 2) -> None:
        self.blank = itertools.count(1)
        self.time_text = "%s"
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
        self._time = TimeTexts(_xsd_datetime_text, _CACHE_LIMIT)
        self._fragments: IdentityMemo[str] = IdentityMemo(self._fragment, _CACHE_LIMIT)
        self._output: Optional[BinaryOutput] = None
        self._namespaces: Mapping[str, Namespace] = {}

    def start(self, output: BinaryOutput, namespaces: Mapping[str, Namespace]) -> None:
        """Set where the document goes and the namespaces its prefixes come from."""
        self._output = output
        self._namespaces = namespaces

    def _fill(self, record: Dict[str, Any], attributes: Sequence[Pair]) -> None:
        names = self._names
        for attribute, value in attributes:
            key = names.get(attribute)
            if key is None:
                key = names[attribute] = str(attribute)
            kind = type(value)
            if kind is str or kind is bool:
                encoded = value
            elif kind is QualifiedName:
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

    def _fragment(self, attributes: Sequence[Pair]) -> str:
        """Return ``,`` and the members of the attributes, or nothing when there are none."""
        if not attributes:
            return ""
        record: Dict[str, Any] = {}
        self._fill(record, attributes)
        return "," + _dumps(record)[1:-1].decode("utf-8")

    def _attributes(self, attributes: Sequence[Pair]) -> str:
        if type(attributes) is not tuple:
            return self._fragment(attributes)
        found = self._fragments.seen.get(id(attributes))
        if found is not None and found[0] is attributes:
            return found[1]
        return self._fragments(attributes)

    def _moment(self, time: datetime.datetime) -> str:
        found = self._time.seen.get(id(time))
        if found is not None and found[0] is time:
            return found[1]
        return self._time(time)

    def term(self, name: str) -> str:
        """Return the identifier ``name`` (``prefix:local`` text) as it is written: unchanged."""
        return name

    def moment(self, time: datetime.datetime) -> str:
        """Return a time as PROV-JSON writes it (without the quotes)."""
        return self._moment(time)

    def template(self, kind: str, timed: bool, attributes: Sequence[Pair]) -> Tuple[List[str], Fill]:
        """Return the section a relation goes to and the function writing its member.

        The function is ``fill(subject, target, time, blank)``, of the subject and the target
        as given by `term`, the time as given by `moment` and a blank node number.
        """
        extra = self._attributes(attributes).replace("{", "{{").replace("}", "}}")
        time = ',"prov:time":"{2}"' if timed else ""
        return self._lines[kind], compile_template(f"{self._heads[kind]}{time}{extra}}}}}")

    def flush(self) -> None:
        """Move the members written so far to the section files."""
        self._pending = 0
        for section, lines in self._lines.items():
            if lines:
                spool = self.spools[section]
                spool.parts.append("".join(lines).encode("utf-8"))
                spool.flush()
                lines.clear()

    def element(
        self,
        kind: str,
        name: str,
        attributes: Sequence[Pair],
        start: Union[datetime.datetime, str, None] = None,
        end: Union[datetime.datetime, str, None] = None,
    ) -> None:
        """Write an entity, activity or agent (times as datetimes or as `moment` gives them)."""
        extra = self._attributes(attributes)
        if start is None and end is None:
            body = extra[1:]
        else:
            times = []
            if start is not None:
                times.append(f'"prov:startTime":"{start if type(start) is str else self._moment(start)}"')
            if end is not None:
                times.append(f'"prov:endTime":"{end if type(end) is str else self._moment(end)}"')
            body = ",".join(times) + extra
        self._lines[kind].append(f'{self._separator}"{name}":{{{body}}}')
        self._pending += 1
        if self._pending >= _FLUSH_EVERY:
            self.flush()

    def finish(self) -> None:
        """Write the document: prefixes, then every section."""
        output = self._output
        assert output is not None, "start() was not called"
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
        for spool in self.spools.values():
            spool.close()
