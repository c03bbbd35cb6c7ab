"""PROV-N written one statement per line as the statements come.

The statements wait in a temporary file until the prefixes are all known (a global id such as
``hess:23523`` brings its own), then follow the prefix declarations. Each statement is written
as `prov.model` writes it. The attributes of a tuple that recurs (the record stream shares
them) are encoded once.
"""

from __future__ import annotations

import datetime
import os
from typing import List, Mapping, Optional, Sequence

from prov.identifier import Namespace, QualifiedName
from prov.model.records import _xsd_datetime_text, encoding_provn_value

from ..model.mapping import Pair
from .kinds import FORMAL_ATTRIBUTES, TIME_SLOT
from .memos import IdentityMemo
from .spools import BinaryOutput, Spool
from .timetexts import TimeTexts

__all__ = ["ProvnStreamWriter"]

_FLUSH_EVERY = 8192
_LINES = {
    keyword: (
        f"  {keyword}(%s, %s, %s%s)\n"
        if keyword in TIME_SLOT
        else f"  {keyword}(%s, %s{', -' * (len(formal) - 2)}%s)\n"
    )
    for keyword, formal in FORMAL_ATTRIBUTES.items()
    if len(formal) >= 2
}
_QUOTED = ('"', "\\", "\n", "\r")


def _name(text: str) -> str:
    """Return an identifier (``prefix:local``, local an NCName) as PROV-N writes it."""
    return text[:-1] + "\\." if text[-1] == "." else text


def _value(value: object) -> str:
    """Return the PROV-N literal of an attribute value that is not a qualified name."""
    if type(value) is str:
        for special in _QUOTED:
            if special in value:
                return encoding_provn_value(value)
        return f'"{value}"'
    return encoding_provn_value(value)


class ProvnStreamWriter:
    """A `logprov.model.stream.Sink` writing PROV-N.

    Parameters
    ----------
    folder : str
        Where the statements are kept until the end.
    """

    def __init__(self, folder: str) -> None:
        self.spool = Spool(os.path.join(folder, "statements.provn"))
        self._lines: List[str] = []
        self._times = TimeTexts(_xsd_datetime_text)
        self._keys: IdentityMemo[str] = IdentityMemo(QualifiedName.provn_bare_representation)
        self._qualified: IdentityMemo[str] = IdentityMemo(QualifiedName.provn_representation)
        self._extras: IdentityMemo[str] = IdentityMemo(self._extra)
        self._output: Optional[BinaryOutput] = None
        self._namespaces: Mapping[str, Namespace] = {}

    def start(self, output: BinaryOutput, namespaces: Mapping[str, Namespace]) -> None:
        """Set where the document goes and the namespaces its prefixes come from."""
        self._output = output
        self._namespaces = namespaces

    def _extra(self, attributes: Sequence[Pair]) -> str:
        """Return ``, [name=value, …]`` for the attributes, or nothing when there are none."""
        if not attributes:
            return ""
        keys, qualified = self._keys, self._qualified
        items = [
            f"{keys(attribute)}={qualified(value) if type(value) is QualifiedName else _value(value)}"
            for attribute, value in attributes
        ]
        return ", [" + ", ".join(items) + "]"

    def _attributes(self, attributes: Sequence[Pair]) -> str:
        if type(attributes) is not tuple:
            return self._extra(attributes)
        found = self._extras.seen.get(id(attributes))
        if found is not None and found[0] is attributes:
            return found[1]
        return self._extras(attributes)

    def _time(self, moment: Optional[datetime.datetime]) -> str:
        if moment is None:
            return "-"
        found = self._times.seen.get(id(moment))
        if found is not None and found[0] is moment:
            return found[1]
        return self._times(moment)

    def _flush(self) -> None:
        self.spool.parts.append("".join(self._lines).encode("utf-8", "backslashreplace"))
        self.spool.flush()
        self._lines = []

    def element(
        self,
        kind: str,
        name: str,
        attributes: Sequence[Pair],
        start: Optional[datetime.datetime] = None,
        end: Optional[datetime.datetime] = None,
    ) -> None:
        """Write an entity, activity or agent."""
        if name[-1] == ".":
            name = _name(name)
        extra = self._attributes(attributes)
        if kind == "activity":
            line = f"  activity({name}, {self._time(start)}, {self._time(end)}{extra})\n"
        else:
            line = f"  {kind}({name}{extra})\n"
        lines = self._lines
        lines.append(line)
        if len(lines) >= _FLUSH_EVERY:
            self._flush()

    def relation(
        self,
        kind: str,
        subject: str,
        target: str,
        time: Optional[datetime.datetime],
        attributes: Sequence[Pair],
    ) -> None:
        """Write a relation."""
        if subject[-1] == ".":
            subject = _name(subject)
        if target[-1] == ".":
            target = _name(target)
        extras = self._extras
        found = extras.seen.get(id(attributes))
        if found is not None and found[0] is attributes:
            extra = found[1]
        else:
            extra = self._attributes(attributes)
        if kind in TIME_SLOT:
            line = _LINES[kind] % (subject, target, self._time(time), extra)
        else:
            line = _LINES[kind] % (subject, target, extra)
        lines = self._lines
        lines.append(line)
        if len(lines) >= _FLUSH_EVERY:
            self._flush()

    def finish(self) -> None:
        """Write the document: prefixes, then the statements."""
        output = self._output
        assert output is not None, "start() was not called"
        lines = ["document\n"]
        for prefix, namespace in self._namespaces.items():
            lines.append(f"  prefix {prefix} <{namespace.uri}>\n")
        lines.append("  \n")
        output.write("".join(lines).encode("utf-8"))
        self._flush()
        self.spool.copy_to(output)
        output.write(b"endDocument")

    def close(self) -> None:
        """Remove the statement file."""
        self.spool.close()
