"""PROV-XML written one record element at a time as the statements come.

Each record is built and encoded by `prov`'s PROV-XML serializer functions (element names,
attribute order, ``xsi:type`` rules), serialised on its own without the namespace declarations
the document element makes, and kept in a temporary file until the prefixes are all known.
Relations of one kind with the same attributes differ only in their ends and time, so each such
shape is encoded once, with placeholders, and reused as a template.
"""

from __future__ import annotations

import datetime
import re
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

from lxml import etree
from prov.constants import PROV_ATTR_ACTIVITY, PROV_ATTR_ENDTIME, PROV_ATTR_STARTTIME, PROV_ATTR_TIME
from prov.identifier import Namespace, QualifiedName
from prov.model import DEFAULT_NAMESPACES, sorted_attributes

from ..model.mapping import Pair
from .recordtypes import FORMAL_ATTRIBUTES, RECORD_TYPES
from .provcompat import xml_add_attribute, xml_name, xml_record_label, xsd_datetime_text
from .destinations import BinaryOutput
from .statementwriter import SpooledWriter, Time
from .templates import Fill, compile_template

__all__ = ["XmlStreamWriter"]

_PLACEHOLDERS = Namespace("prov", "http://www.w3.org/ns/prov#")
_SUBJECT = QualifiedName(_PLACEHOLDERS, "logprov-stream-subject")
_TARGET = QualifiedName(_PLACEHOLDERS, "logprov-stream-target")
_ACTIVITY = QualifiedName(_PLACEHOLDERS, "logprov-stream-activity")
_MOMENT = datetime.datetime(1, 2, 3, 4, 5, 6, 789012, tzinfo=datetime.timezone.utc)
_MOMENT_TEXT = xsd_datetime_text(_MOMENT)
_DECLARATION = re.compile(rb' xmlns:([A-Za-z_][A-Za-z0-9_.\-]*)="([^"]*)"')
_ID = xml_name("id")


def _time(value: Union[datetime.datetime, str]) -> datetime.datetime:
    return datetime.datetime.fromisoformat(value) if isinstance(value, str) else value


def _base_namespaces() -> Dict[str, str]:
    found = {}
    for namespace in DEFAULT_NAMESPACES.values():
        found[namespace.prefix] = namespace.uri.rstrip("#") if namespace.prefix == "xsd" else namespace.uri
    return found


class XmlStreamWriter(SpooledWriter):
    """A `logprov.model.statementsink.StatementSink` writing PROV-XML.

    Parameters
    ----------
    folder : str
        Where the record elements are kept until the end.
    """

    def __init__(self, folder: str) -> None:
        super().__init__(folder, "records.xml", xsd_datetime_text, flush_every=4096)
        self._root: Optional[etree._Element] = None
        self._declared: Dict[bytes, bytes] = {}
        self._templates: Dict[tuple, Fill] = {}

    def start(self, output: BinaryOutput, namespaces: Mapping[str, Namespace]) -> None:
        super().start(output, namespaces)
        self._nsmap()

    def _nsmap(self) -> Dict[str, str]:
        nsmap = {prefix: namespace.uri for prefix, namespace in self._namespaces.items()}
        nsmap.update(_base_namespaces())
        self._root = etree.Element(xml_name("document"), nsmap=nsmap)
        self._declared = {prefix.encode(): uri.encode() for prefix, uri in nsmap.items()}
        return nsmap

    def _strip(self, match: "re.Match[bytes]") -> bytes:
        return b"" if self._declared.get(match[1]) == match[2] else match[0]

    def _serialized(self, kind: str, identifier: Optional[str], pairs: List[Pair]) -> bytes:
        record_type = RECORD_TYPES[kind]
        label = xml_record_label(record_type, pairs)
        root = self._root
        assert root is not None, "start() was not called"
        element = etree.SubElement(root, xml_name(label), {_ID: identifier} if identifier else None)
        for attribute, value in sorted_attributes(record_type, pairs):
            xml_add_attribute(element, attribute, value)
        root.remove(element)
        head, _, rest = etree.tostring(element).partition(b">")
        return b"  " + _DECLARATION.sub(self._strip, head) + b">" + rest + b"\n"

    def moment(self, time: datetime.datetime) -> str:
        return xsd_datetime_text(time)

    def template(self, kind: str, timed: bool, attributes: Sequence[Pair]) -> Tuple[List[str], Fill]:
        if type(attributes) is not tuple:
            attributes = tuple(attributes)
        return self.lines, self._template(kind, timed, attributes)

    def _template(self, kind: str, timed: bool, attributes: Tuple[Pair, ...]) -> Fill:
        """Return the function writing the element of a relation from its ends and time."""
        key = (kind, timed, attributes)
        template = self._templates.get(key)
        if template is None:
            formal = FORMAL_ATTRIBUTES[kind]
            pairs: List[Pair] = [(formal[0], _SUBJECT), (formal[1], _TARGET)]
            if timed:
                pairs.append((PROV_ATTR_ACTIVITY, _ACTIVITY) if kind == "wasDerivedFrom" else (PROV_ATTR_TIME, _MOMENT))
            pairs.extend(attributes)
            text = self._serialized(kind, None, pairs).decode("utf-8")
            text = text.replace("{", "{{").replace("}", "}}")
            text = text.replace(str(_SUBJECT), "{0}").replace(str(_TARGET), "{1}")
            text = text.replace(_MOMENT_TEXT, "{2}").replace(str(_ACTIVITY), "{2}")
            template = compile_template(text)
            if len(self._templates) > 4096:
                self._templates.clear()
            self._templates[key] = template
        return template

    def element(self, kind: str, name: str, attributes: Sequence[Pair], start: Time = None, end: Time = None) -> None:
        pairs: List[Pair] = []
        if start is not None:
            pairs.append((PROV_ATTR_STARTTIME, _time(start)))
        if end is not None:
            pairs.append((PROV_ATTR_ENDTIME, _time(end)))
        pairs.extend(attributes)
        self.add_line(self._serialized(kind, name, pairs).decode("utf-8"))

    def finish(self) -> None:
        """Write the document: the document element with every prefix, then the records."""
        nsmap = self._nsmap()
        head = etree.tostring(etree.Element(xml_name("document"), nsmap=nsmap))
        self.write_document(b"<?xml version='1.0' encoding='UTF-8'?>\n" + head[:-2] + b">\n", b"</prov:document>\n")
