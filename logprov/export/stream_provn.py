"""PROV-N written one statement per line as the statements come.

The statements wait in a temporary file until the prefixes are all known (a global id such as
``hess:23523`` brings its own), then follow the prefix declarations. Each statement is written
as `prov.model` writes it. The attributes of a tuple that recurs (the record stream shares
them) are encoded once.
"""

from __future__ import annotations

import datetime
import itertools
import os
from typing import List, Mapping, Optional, Sequence, Tuple, Union

from prov.identifier import Namespace, QualifiedName
from prov.model.records import _xsd_datetime_text, encoding_provn_value

from ..model.mapping import Pair
from .kinds import FORMAL_ATTRIBUTES, TIME_SLOT
from .memos import IdentityMemo
from .spools import BinaryOutput, Spool
from .templates import Fill, compile_template
from .timetexts import TimeTexts

__all__ = ["ProvnStreamWriter"]

_FLUSH_EVERY = 8192
_GAPS = {keyword: ", -" * (len(formal) - 2) for keyword, formal in FORMAL_ATTRIBUTES.items()}


def _name(text: str) -> str:
    """Return an identifier (``prefix:local``, local an NCName) as PROV-N writes it."""
    return text[:-1] + "\\." if text[-1] == "." else text


class ProvnStreamWriter:
    """A `logprov.model.stream.Sink` writing PROV-N.

    Parameters
    ----------
    folder : str
        Where the statements are kept until the end.
    """

    def __init__(self, folder: str) -> None:
        self.spool = Spool(os.path.join(folder, "statements.provn"))
        self.blank = itertools.count(1)
        self.time_text = "%s"
        self.lines: List[str] = []
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
        keys = self._keys
        seen = keys.seen
        items = []
        for attribute, value in attributes:
            found = seen.get(id(attribute))
            key = found[1] if found is not None and found[0] is attribute else keys(attribute)
            kind = type(value)
            if kind is str and not ('"' in value or "\\" in value or "\n" in value or "\r" in value):
                items.append(f'{key}="{value}"')
            elif kind is QualifiedName:
                items.append(f"{key}={self._qualified(value)}")
            else:
                items.append(f"{key}={encoding_provn_value(value)}")
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

    def term(self, name: str) -> str:
        """Return the identifier ``name`` (``prefix:local`` text) as PROV-N writes it."""
        return _name(name) if name[-1] == "." else name

    def moment(self, time: datetime.datetime) -> str:
        """Return a time as PROV-N writes it."""
        return self._time(time)

    def template(self, kind: str, timed: bool, attributes: Sequence[Pair]) -> Tuple[List[str], Fill]:
        """Return where a relation goes and the function writing its line.

        The function is ``fill(subject, target, time, blank)``, of the subject and the target
        as given by `term`, the time as given by `moment` and a blank node number.
        """
        extra = self._attributes(attributes).replace("{", "{{").replace("}", "}}")
        if kind in TIME_SLOT:
            line = f"  {kind}({{0}}, {{1}}, {'{2}' if timed else '-'}{extra})\n"
        else:
            line = f"  {kind}({{0}}, {{1}}{_GAPS[kind]}{extra})\n"
        return self.lines, compile_template(line)

    def flush(self) -> None:
        """Move the lines written so far to the statement file."""
        lines = self.lines
        self.spool.parts.append("".join(lines).encode("utf-8", "backslashreplace"))
        self.spool.flush()
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
        if name[-1] == ".":
            name = _name(name)
        extra = self._attributes(attributes)
        if kind == "activity":
            start = start if type(start) is str else self._time(start)
            end = end if type(end) is str else self._time(end)
            line = f"  activity({name}, {start}, {end}{extra})\n"
        else:
            line = f"  {kind}({name}{extra})\n"
        lines = self.lines
        lines.append(line)
        if len(lines) >= _FLUSH_EVERY:
            self.flush()

    def finish(self) -> None:
        """Write the document: prefixes, then the statements."""
        output = self._output
        assert output is not None, "start() was not called"
        lines = ["document\n"]
        for prefix, namespace in self._namespaces.items():
            lines.append(f"  prefix {prefix} <{namespace.uri}>\n")
        lines.append("  \n")
        output.write("".join(lines).encode("utf-8"))
        self.flush()
        self.spool.copy_to(output)
        output.write(b"endDocument")

    def close(self) -> None:
        """Remove the statement file."""
        self.spool.close()
