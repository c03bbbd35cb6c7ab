"""PROV-N written one statement per line as the statements come.

The statements wait in a temporary file until the prefixes are all known (a global id such as
``hess:23523`` brings its own), then follow the prefix declarations. Each statement is written
as `prov.model` writes it.
"""

from __future__ import annotations

import datetime
import os
from typing import Dict, List, Mapping, Optional, Sequence

from prov.identifier import Namespace, QualifiedName
from prov.model.records import _xsd_datetime_text, encoding_provn_value

from .timetexts import TimeTexts
from ..model.mapping import Pair
from .kinds import FORMAL_ATTRIBUTES, TIME_SLOT
from .spools import BinaryOutput, Spool

__all__ = ["ProvnStreamWriter"]

_TIMED = ", time"
_TAILS = {
    keyword: _TIMED if keyword in TIME_SLOT else ", -" * (len(formal) - 2)
    for keyword, formal in FORMAL_ATTRIBUTES.items()
    if len(formal) >= 2
}


def _name(text: str) -> str:
    """Return an identifier (``prefix:local``, local an NCName) as PROV-N writes it."""
    return text[:-1] + "\\." if text.endswith(".") else text


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
        self._names: Dict[QualifiedName, str] = {}
        self._values: Dict[QualifiedName, str] = {}
        self._attributes: Dict[tuple, str] = {}
        self._output: Optional[BinaryOutput] = None
        self._namespaces: Mapping[str, Namespace] = {}

    def start(self, output: BinaryOutput, namespaces: Mapping[str, Namespace]) -> None:
        """Set where the document goes and the namespaces its prefixes come from."""
        self._output = output
        self._namespaces = namespaces

    def _extra(self, attributes: Sequence[Pair]) -> str:
        names = self._names
        items: List[str] = []
        for attribute, value in attributes:
            key = names.get(attribute)
            if key is None:
                key = names[attribute] = attribute.provn_bare_representation()
            if type(value) is QualifiedName:
                text = self._values.get(value)
                if text is None:
                    text = self._values[value] = value.provn_representation()
            else:
                text = encoding_provn_value(value)
            items.append(f"{key}={text}")
        return ", [" + ", ".join(items) + "]"

    def _cached_extra(self, attributes: Sequence[Pair]) -> str:
        key = attributes if type(attributes) is tuple else tuple(attributes)
        text = self._attributes.get(key)
        if text is None:
            text = self._extra(attributes)
            if len(self._attributes) > 4096:
                self._attributes.clear()
            self._attributes[key] = text
        return text

    def _time(self, moment: Optional[datetime.datetime]) -> str:
        return "-" if moment is None else self._times(moment)

    def _emit(self, line: str) -> None:
        lines = self._lines
        lines.append(line)
        if len(lines) >= 8192:
            self._flush()

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
        head = _name(name)
        if kind == "activity":
            head = f"{head}, {self._time(start)}, {self._time(end)}"
        extra = self._extra(attributes) if attributes else ""
        self._emit(f"  {kind}({head}{extra})\n")

    def relation(
        self,
        kind: str,
        subject: str,
        target: str,
        time: Optional[datetime.datetime],
        attributes: Sequence[Pair],
    ) -> None:
        """Write a relation."""
        tail = _TAILS[kind]
        if tail is _TIMED:
            tail = f", {self._time(time)}"
        extra = self._cached_extra(attributes) if attributes else ""
        self._emit(f"  {kind}({_name(subject)}, {_name(target)}{tail}{extra})\n")

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
