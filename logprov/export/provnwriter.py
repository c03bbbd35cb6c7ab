"""PROV-N written one statement per line as the statements come.

The statements wait in a temporary file until the prefixes are all known (a global id such as
``hess:23523`` brings its own), then follow the prefix declarations. Each statement is written
as `prov.model` writes it. The attributes of a tuple that recurs (the record stream shares
them) are encoded once.
"""

from __future__ import annotations

import datetime
from typing import List, Optional, Sequence, Tuple

from prov.identifier import QualifiedName

from ..model.mapping import Pair
from .recordtypes import FORMAL_ATTRIBUTES, THIRD_SLOT
from .memos import IdentityMemo
from .provcompat import provn_value, xsd_datetime_text
from .statementwriter import SpooledWriter, Time
from .templates import Fill, compile_template

__all__ = ["ProvnStreamWriter"]

def _name(text: str) -> str:
    """Return an identifier (``prefix:local``, local an NCName) as PROV-N writes it."""
    return text[:-1] + "\\." if text[-1] == "." else text


class ProvnStreamWriter(SpooledWriter):
    """A `logprov.model.statementsink.StatementSink` writing PROV-N.

    Parameters
    ----------
    folder : str
        Where the statements are kept until the end.
    """

    def __init__(self, folder: str) -> None:
        super().__init__(folder, "statements.provn", xsd_datetime_text, errors="backslashreplace")
        self._keys: IdentityMemo[str] = IdentityMemo(QualifiedName.provn_bare_representation)
        self._qualified: IdentityMemo[str] = IdentityMemo(QualifiedName.provn_representation)

    def encode_attributes(self, attributes: Sequence[Pair]) -> str:
        """Return ``, [name=value, …]`` for the attributes, or nothing when there are none."""
        if not attributes:
            return ""
        keys = self._keys
        seen = keys.seen
        items = []
        for attribute, value in attributes:
            found = seen.get(id(attribute))
            key = found[1] if found is not None and found[0] is attribute else keys(attribute)
            if type(value) is str and not ('"' in value or "\\" in value or "\n" in value or "\r" in value):
                items.append(f'{key}="{value}"')
            elif type(value) is QualifiedName:
                items.append(f"{key}={self._qualified(value)}")
            else:
                items.append(f"{key}={provn_value(value)}")
        return ", [" + ", ".join(items) + "]"

    def _time(self, moment: Optional[datetime.datetime]) -> str:
        return "-" if moment is None else self.moment(moment)

    def term(self, name: str) -> str:
        """Return the identifier ``name`` (``prefix:local`` text) as PROV-N writes it."""
        return _name(name) if name[-1] == "." else name

    def template(self, kind: str, timed: bool, attributes: Sequence[Pair]) -> Tuple[List[str], Fill]:
        extra = self.attributes_text(attributes).replace("{", "{{").replace("}", "}}")
        slot = THIRD_SLOT.get(kind) if timed else None
        terms = "".join(", {2}" if number == slot else ", -" for number in range(2, len(FORMAL_ATTRIBUTES[kind])))
        return self.lines, compile_template(f"  {kind}({{0}}, {{1}}{terms}{extra})\n")

    def element(self, kind: str, name: str, attributes: Sequence[Pair], start: Time = None, end: Time = None) -> None:
        if name[-1] == ".":
            name = _name(name)
        extra = self.attributes_text(attributes)
        if kind == "activity":
            first = start if type(start) is str else self._time(start)  # type: ignore[arg-type]
            last = end if type(end) is str else self._time(end)  # type: ignore[arg-type]
            self.add_line(f"  activity({name}, {first}, {last}{extra})\n")
        else:
            self.add_line(f"  {kind}({name}{extra})\n")

    def finish(self) -> None:
        """Write the document: prefixes, then the statements."""
        lines = ["document\n"]
        for prefix, namespace in self._namespaces.items():
            lines.append(f"  prefix {prefix} <{namespace.uri}>\n")
        lines.append("  \n")
        self.write_document("".join(lines).encode("utf-8"), b"endDocument")
