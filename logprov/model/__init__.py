"""Provenance records to W3C PROV documents (``prov.model.ProvDocument``).

The mapping is described in ``docs/prov-mapping.md``.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, Union

from prov.model import ProvDocument

from ..reading.reader import ProvRecord
from .builder import CONFIGURED_BY, IN_SESSION, PARAMETER_TYPE, UNTRACED, DocumentBuilder
from .contents import content_view
from .descriptions import DESCRIBED_BY
from .identifiers import AGENT, ACTIVITY, DESCRIPTION, GENERATION, LOGPROV, PARAMETER, SESSION, VOPROV, local_part
from .sessions import SESSION_TYPE
from .recordstream import RecordStream, StatementSink, StreamConflictWarning

__all__ = [
    "build_document",
    "content_view",
    "DocumentBuilder",
    "RecordStream",
    "StatementSink",
    "StreamConflictWarning",
    "LOGPROV",
    "VOPROV",
    "SESSION",
    "ACTIVITY",
    "PARAMETER",
    "AGENT",
    "DESCRIPTION",
    "GENERATION",
    "SESSION_TYPE",
    "IN_SESSION",
    "PARAMETER_TYPE",
    "CONFIGURED_BY",
    "DESCRIBED_BY",
    "UNTRACED",
    "local_part",
]


def build_document(
    records: Iterable[Union[ProvRecord, Dict[str, Any]]],
    *,
    with_descriptions: bool = True,
    with_parameters: bool = True,
    session_prefix: str = "session",
) -> ProvDocument:
    """Build one PROV document from records of any number of logs and sessions.

    Parameters
    ----------
    records : iterable of ProvRecord or dict
        Records from `logprov.reading.reader.iter_records`, or payload dicts.
    with_descriptions : bool
        Add the IVOA descriptions (activity, usage, generation, parameter, entity) found in the
        sessions' definitions, and link activities, entities and parameters to them.
    with_parameters : bool
        Add parameters as ``voprov:Parameter`` entities used by their activity.
    session_prefix : str
        Prefix of the namespace of sessions and session-local entities.

    Returns
    -------
    prov.model.ProvDocument
        The document.

    Raises
    ------
    ValueError
        If a payload dict has a known key holding what it may not (see
        `logprov.records.fields`); the reader skips such records.
    """
    builder = DocumentBuilder(
        with_descriptions=with_descriptions,
        with_parameters=with_parameters,
        session_prefix=session_prefix,
    )
    return builder.add_all(records).document()
