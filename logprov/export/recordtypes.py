"""The PROV record types a streamed export writes, by PROV-N keyword, as `prov.model` has them."""

from __future__ import annotations

from typing import Dict, Tuple

from prov.constants import PROV_ATTR_ACTIVITY, PROV_ATTR_TIME, PROV_N_MAP
from prov.identifier import QualifiedName
from prov.model import PROV_REC_CLS

__all__ = ["RECORD_TYPES", "FORMAL_ATTRIBUTES", "THIRD_SLOT"]

_KEYWORDS = (
    "entity", "activity", "agent", "used", "wasGeneratedBy", "wasDerivedFrom", "specializationOf", "hadMember",
    "wasInformedBy", "wasAssociatedWith", "wasAttributedTo", "wasInfluencedBy",
)

RECORD_TYPES: Dict[str, QualifiedName] = {
    keyword: record_type for record_type, keyword in PROV_N_MAP.items() if keyword in _KEYWORDS
}
"""Record type of each PROV-N keyword."""

FORMAL_ATTRIBUTES: Dict[str, Tuple[QualifiedName, ...]] = {
    keyword: tuple(PROV_REC_CLS[record_type].FORMAL_ATTRIBUTES)
    for keyword, record_type in RECORD_TYPES.items()
}
"""Formal attributes of each record type, in PROV-N order."""

THIRD_SLOT: Dict[str, int] = {
    keyword: formal.index(PROV_ATTR_ACTIVITY if keyword == "wasDerivedFrom" else PROV_ATTR_TIME)
    for keyword, formal in FORMAL_ATTRIBUTES.items()
    if PROV_ATTR_TIME in formal or keyword == "wasDerivedFrom"
}
"""Position, among the formal attributes of a relation, of the third term a stream gives it: the
time (``prov:time``) of the relations that have one, the activity of a derivation."""
