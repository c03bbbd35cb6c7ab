"""The sessions of the logs as the PROV mapping keeps them, for both of its forms.

`SessionTable` takes the session records: the attributes of each session entity, the agent
(the user) each session is attributed to, the namespaces the sessions' definitions declare and
their IVOA descriptions. `logprov.model.builder.DocumentBuilder` and
`logprov.model.streammapping.StreamMapping` both keep their sessions in one.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from prov.identifier import QualifiedName

from ..records import keys as K
from .descriptions import DescriptionIndex, describe
from .identifiers import IdMaker
from .mapping import Pair, Record
from .sessions import session_attributes, session_context

__all__ = ["SessionTable"]


class SessionTable:
    """Sessions by id, with what their records say.

    Parameters
    ----------
    ids : IdMaker
        Makes the identifiers; told the namespaces the definitions declare.
    with_descriptions : bool
        Index the IVOA descriptions of the sessions' definitions.

    Attributes
    ----------
    attributes : dict
        Session id to the attributes of its entity, each once, in order.
    agents : dict
        Session id to the name of its agent.
    indexes : dict
        Session id to the index of its descriptions.
    descriptions : dict
        The description entities, with their attributes.
    jobs, images : dict
        Jobs and container images by key, with their attributes, each once, in order.
    context : dict
        Session id to the ``(kind, key)`` of its job (``"job"``) and image (``"image"``).
    """

    def __init__(self, ids: IdMaker, with_descriptions: bool) -> None:
        self.ids = ids
        self.with_descriptions = with_descriptions
        self.attributes: Dict[str, Dict[Pair, None]] = {}
        self.agents: Dict[str, str] = {}
        self.indexes: Dict[str, DescriptionIndex] = {}
        self.descriptions: Dict[QualifiedName, List[Pair]] = {}
        self.jobs: Dict[str, Dict[Pair, None]] = {}
        self.images: Dict[str, Dict[Pair, None]] = {}
        self.context: Dict[str, Dict[Tuple[str, str], None]] = {}

    def add(self, data: Record, agents: Dict[str, None]) -> bool:
        """Take the session record ``data`` into account, adding its agent to ``agents``.

        Returns
        -------
        bool
            True when the record brought the descriptions of its session.
        """
        session = data[K.SESSION_ID]
        attributes = self.attributes.setdefault(session, {})
        attributes.update(dict.fromkeys(session_attributes(data)))
        for kind, found, table in zip(("job", "image"), session_context(data), (self.jobs, self.images)):
            if found is not None:
                key, pairs = found
                table.setdefault(key, {}).update(dict.fromkeys(pairs))
                self.context.setdefault(session, {})[(kind, key)] = None
        agent = data.get(K.AGENT_NAME)
        if agent is not None:
            self.agents[session] = str(agent)
            agents[str(agent)] = None
        definitions = data.get(K.DEFINITIONS)
        if isinstance(definitions, dict) and "namespaces" in definitions:
            self.ids.declare(definitions["namespaces"])
        if self.with_descriptions and K.DEFINITIONS in data and session not in self.indexes:
            self.indexes[session] = describe(definitions, self.ids, self.descriptions)
            return True
        return False

    def index(self, session: Optional[str]) -> Optional[DescriptionIndex]:
        """Return the descriptions of ``session``, if it has any."""
        return self.indexes.get(session) if session is not None else None
