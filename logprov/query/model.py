"""What queries return: sessions, activities, entities, the links between them, lineages."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any, Iterator, Optional

__all__ = ["Session", "Link", "Activity", "Entity", "Match", "Matches", "Edge", "Lineage", "RELATIONS"]

#: Relations of a lineage, each from effect to cause, with the kinds of their two ends.
RELATIONS = {
    "used": ("activity", "entity"),
    "wasGeneratedBy": ("entity", "activity"),
    "wasDerivedFrom": ("entity", "entity"),
    "hadMember": ("entity", "entity"),
    "wasInformedBy": ("activity", "activity"),
}


@dataclass(frozen=True)
class Session:
    """A session: one run of traced code in one process.

    Attributes
    ----------
    id : str
        The session id.
    start, end : str or None
        Start and end times as logged.
    name, module : str or None
        What opened the session.
    user, host : str or None
        Who ran it, and where.
    command : str or None
        The command line (``argv``).
    cwd : str or None
        Working directory.
    pid : int or None
        Process id.
    hash_type : str or None
        Algorithm of the file digests.
    version : str or None
        logprov version.
    git_commit : str or None
        Commit of the code's repository.
    job : dict or None
        The batch job it ran in: ``system``, ``id``, and ``array_job``, ``array_index``,
        ``name``, ``url`` when known (see the session record).
    container : dict or None
        The container it ran in: ``runtime``, and ``image``, ``tag``, ``digest``, … when known.
    activities, failed, incomplete : int
        Selected activities of the session, and how many failed or never ended.
    """

    id: str
    start: Optional[str] = None
    end: Optional[str] = None
    name: Optional[str] = None
    module: Optional[str] = None
    user: Optional[str] = None
    host: Optional[str] = None
    command: Optional[str] = None
    cwd: Optional[str] = None
    pid: Optional[int] = None
    hash_type: Optional[str] = None
    version: Optional[str] = None
    git_commit: Optional[str] = None
    job: Optional[dict] = field(default=None, hash=False, compare=True)
    container: Optional[dict] = field(default=None, hash=False, compare=True)
    activities: int = 0
    failed: int = 0
    incomplete: int = 0

    def to_dict(self) -> dict:
        """Return the session as a JSON-serialisable dict."""
        return {"kind": "session", **asdict(self)}


@dataclass(frozen=True)
class Link:
    """A usage or a generation.

    Attributes
    ----------
    relation : str
        ``used`` or ``generated``.
    activity : str
        The activity id.
    entity : str
        The entity id.
    role : str or None
        The role.
    """

    relation: str
    activity: str
    entity: str
    role: Optional[str] = None

    def to_dict(self) -> dict:
        """Return the link as a JSON-serialisable dict."""
        return asdict(self)


@dataclass(frozen=True)
class Activity:
    """A traced call or block of code.

    Attributes
    ----------
    id : str
        The activity id.
    name : str or None
        The activity name.
    session : str or None
        Its session.
    start, end : str or None
        Start and end times as logged.
    status : str or None
        ``success``, ``failed``, ``incomplete`` (never ended), or None (logprov 0.0.2).
    duration : float or None
        Seconds.
    exception_type, exception_message : str or None
        What a failed activity raised.
    function : str or None
        Qualified name of the traced function.
    agent : str or None
        The user.
    parent : str or None
        The activity it was started in.
    parameters : dict
        Parameter values by name.
    used, generated : tuple of Link
        Its usages and generations.
    exit_code : int or None
        The exit code of the process it was (ctapipe provenance); None for a traced call.
    """

    id: str
    name: Optional[str] = None
    session: Optional[str] = None
    start: Optional[str] = None
    end: Optional[str] = None
    status: Optional[str] = None
    duration: Optional[float] = None
    exception_type: Optional[str] = None
    exception_message: Optional[str] = None
    function: Optional[str] = None
    agent: Optional[str] = None
    parent: Optional[str] = None
    parameters: dict = field(default_factory=dict)
    used: tuple = ()
    generated: tuple = ()
    exit_code: Optional[int] = None

    kind = "activity"

    def to_dict(self) -> dict:
        """Return the activity as a JSON-serialisable dict."""
        data = asdict(self)
        data["used"] = [link.to_dict() for link in self.used]
        data["generated"] = [link.to_dict() for link in self.generated]
        return {"kind": "activity", **data}


@dataclass(frozen=True)
class Entity:
    """A file, a collection of files or a Python value.

    Attributes
    ----------
    id : str
        The entity id, qualified with its session when it is local to one.
    logged_id : str
        The id as logged.
    session : str or None
        Its session, for a session-local id.
    type : str or None
        ``File``, ``FileCollection``, ``PythonObject`` or the type of its description.
    locations : tuple of str
        Paths of a file, value paths of a Python value (every one logged).
    value : str or None
        Short ``repr`` of a Python value.
    hash, hash_type : str or None
        Content digest of a file and its algorithm.
    entity_description : str or None
        Name of its entity description.
    content_type : str or None
        MIME type.
    size : int or None
        Size of a file in bytes.
    description : str or None
        Text of its description.
    generated_by, used_by : tuple of Link
        Its generations and usages.
    members : tuple of str
        Ids of its members, for a collection.
    derived_from : tuple of str
        Ids of the entities it was derived from.
    id_scheme, digest : str or None
        How its id was made: a scheme (``path``, …) or a digest algorithm of its content.
    identified_by, product_id, reference_meta : str or None
        The identification of a data product (ctapipe provenance).
    generated_time : str or None
        When a change made outside traced calls was found (an untraced derivation).
    """

    id: str
    logged_id: str
    session: Optional[str] = None
    type: Optional[str] = None
    locations: tuple = ()
    value: Optional[str] = None
    hash: Optional[str] = None
    hash_type: Optional[str] = None
    entity_description: Optional[str] = None
    content_type: Optional[str] = None
    size: Optional[int] = None
    description: Optional[str] = None
    generated_by: tuple = ()
    used_by: tuple = ()
    members: tuple = ()
    derived_from: tuple = ()
    id_scheme: Optional[str] = None
    digest: Optional[str] = None
    identified_by: Optional[str] = None
    product_id: Optional[str] = None
    reference_meta: Optional[str] = None
    generated_time: Optional[str] = None

    kind = "entity"

    @property
    def location(self) -> Optional[str]:
        """The first location logged, if any."""
        return self.locations[0] if self.locations else None

    def to_dict(self) -> dict:
        """Return the entity as a JSON-serialisable dict."""
        data = asdict(self)
        data["locations"] = list(self.locations)
        data["generated_by"] = [link.to_dict() for link in self.generated_by]
        data["used_by"] = [link.to_dict() for link in self.used_by]
        data["members"] = list(self.members)
        data["derived_from"] = list(self.derived_from)
        return {"kind": "entity", **data}


@dataclass(frozen=True)
class Match:
    """One answer of a search: an activity, an entity, or an entity with an activity using or
    generating it.

    Attributes
    ----------
    activity : Activity or None
        The activity.
    entity : Entity or None
        The entity.
    link : Link or None
        How they are linked.
    """

    activity: Optional[Activity] = None
    entity: Optional[Entity] = None
    link: Optional[Link] = None

    def to_dict(self) -> dict:
        """Return the match as a JSON-serialisable dict."""
        return {
            "kind": "match",
            "activity": self.activity.to_dict() if self.activity else None,
            "relation": self.link.relation if self.link else None,
            "role": self.link.role if self.link else None,
            "entity": self.entity.to_dict() if self.entity else None,
        }


class Matches(list):
    """The matches of a search, a list that Jupyter shows as a table (`_repr_html_`)."""

    def _repr_html_(self) -> str:
        from .display import matches_html

        return matches_html(self)


@dataclass(frozen=True)
class Edge:
    """A relation of a lineage, from ``effect`` to ``cause`` (see `RELATIONS`).

    Attributes
    ----------
    relation : str
        ``used``, ``wasGeneratedBy``, ``wasDerivedFrom``, ``hadMember`` or ``wasInformedBy``.
    effect, cause : str
        Ids of the two ends.
    role : str or None
        Role of a usage or generation.
    untraced : bool
        For a derivation: the entity was changed outside any traced activity.
    activity : str or None
        For a derivation: the activity it happened in.
    """

    relation: str
    effect: str
    cause: str
    role: Optional[str] = None
    untraced: bool = False
    activity: Optional[str] = None

    def to_dict(self) -> dict:
        """Return the edge as a JSON-serialisable dict."""
        return {"kind": "edge", **asdict(self)}


@dataclass
class Lineage:
    """Where elements come from (ancestors) or what comes from them (descendants).

    Attributes
    ----------
    roots : list of str
        Ids of the entities or activities the lineage starts from.
    direction : str
        ``ancestors`` or ``descendants``.
    depth : int or None
        Largest number of relations followed.
    activities : dict
        `Activity` by id, without their usages and generations (the edges hold them).
    entities : dict
        `Entity` by id, without their relations (the edges hold them).
    edges : list of Edge
        The relations followed, in the order they were found.
    distance : dict
        Number of relations between a root and each element, keyed by ``(kind, id)``.

    Jupyter shows a lineage as its graph (`_repr_svg_`, drawn with Graphviz).
    """

    roots: list
    direction: str
    depth: Optional[int]
    activities: dict = field(default_factory=dict)
    entities: dict = field(default_factory=dict)
    edges: list = field(default_factory=list)
    distance: dict = field(default_factory=dict)

    def _repr_svg_(self) -> Optional[str]:
        from .display import lineage_svg

        return lineage_svg(self)

    def node(self, kind: str, identifier: str) -> Any:
        """Return the `Activity` or `Entity` ``identifier``."""
        return (self.activities if kind == "activity" else self.entities)[identifier]

    def children(self, kind: str, identifier: str) -> Iterator[tuple[Edge, str, str]]:
        """Yield ``(edge, kind, id)`` of the elements one step further from the roots."""
        for edge in self._next.get((kind, identifier), ()):
            effect_kind, cause_kind = RELATIONS[edge.relation]
            if self.direction == "ancestors":
                yield edge, cause_kind, edge.cause
            else:
                yield edge, effect_kind, edge.effect

    def inputs(self) -> list[Entity]:
        """Return the entities of an ancestors lineage that nothing in the logs generated or
        derived, leaving out members of collections (their collection stands for them) and the
        entities at the depth limit (their origin was not looked for)."""
        if self.direction != "ancestors":
            return []
        produced = {edge.effect for edge in self.edges if edge.relation in ("wasGeneratedBy", "wasDerivedFrom")}
        produced.update(edge.cause for edge in self.edges if edge.relation == "hadMember")
        return [entity for key, entity in self.entities.items()
                if key not in produced and (self.depth is None or self.distance[("entity", key)] < self.depth)]

    def to_dicts(self) -> Iterator[dict]:
        """Yield the elements (with their distance) and then the edges, as dicts."""
        for (kind, key), distance in self.distance.items():
            yield {**self.node(kind, key).to_dict(), "distance": distance,
                   "root": key in self.roots and distance == 0}
        for edge in self.edges:
            yield edge.to_dict()

    @cached_property
    def _next(self) -> dict:
        index: dict = {}
        for edge in self.edges:
            effect_kind, cause_kind = RELATIONS[edge.relation]
            if self.direction == "ancestors":
                index.setdefault((effect_kind, edge.effect), []).append(edge)
            else:
                index.setdefault((cause_kind, edge.cause), []).append(edge)
        return index
