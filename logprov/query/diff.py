"""What differs between two sessions, two products or two activities of a set of logs:
parameters, inputs and outputs (by content), notes, code, packages, Python, machine and
environment."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any, Iterator, Optional

from .model import Activity, Entity
from .provenance import NotFound, QueryError
from .snapshot import Snapshot
from .window import utc_text
from ..records.keys import GIT, PACKAGES, SYSTEM

__all__ = ["Side", "Difference", "Comparison", "side", "compare", "comparison_lines"]

#: Sections of a comparison, in the order they are shown.
SECTIONS = ("activities", "parameters", "inputs", "outputs", "status", "notes", "code", "packages",
            "python", "machine", "environment")


@dataclass
class Side:
    """One of the two things compared.

    Attributes
    ----------
    kind : str
        ``session``, ``activity`` or ``product``.
    id : str
        The session, activity or entity id.
    label : str
        How it is named in the output.
    session : str or None
        The session whose code and environment are compared.
    activities : list of Activity
        The activities compared, by start.
    """

    kind: str
    id: str
    label: str
    session: Optional[str]
    activities: list = field(default_factory=list)

    def to_dict(self) -> dict:
        """Return the side as a JSON-serialisable dict."""
        return {"kind": self.kind, "id": self.id, "label": self.label, "session": self.session,
                "activities": [a.id for a in self.activities]}


@dataclass(frozen=True)
class Difference:
    """One thing that differs.

    Attributes
    ----------
    section : str
        One of `SECTIONS`.
    key : str
        What differs within the section (a parameter name, a role, a package…).
    a, b : object
        Its value on each side; None where it is missing.
    activity : str or None
        The activity name (with its rank among activities of that name, from 1, when there are
        several) for ``parameters``, ``inputs``, ``outputs``, ``status`` and the ``notes`` on
        an activity (None for the notes on a session, key ``session``).
    """

    section: str
    key: str
    a: Any
    b: Any
    activity: Optional[str] = None

    def to_dict(self) -> dict:
        """Return the difference as a JSON-serialisable dict."""
        return {"kind": "difference", "section": self.section, "activity": self.activity, "key": self.key,
                "a": self.a, "b": self.b}


@dataclass
class Comparison:
    """The two sides and their differences."""

    a: Side
    b: Side
    differences: list

    @property
    def identical(self) -> bool:
        """True when nothing differs."""
        return not self.differences

    def to_dict(self) -> dict:
        """Return the comparison as a JSON-serialisable dict."""
        return {"kind": "comparison", "a": self.a.to_dict(), "b": self.b.to_dict(), "identical": self.identical,
                "differences": [d.to_dict() for d in self.differences]}


def _start(activity: Activity) -> tuple:
    return (utc_text(activity.start) or "", activity.id)


def _sessions_named(snapshot: Snapshot, text: str) -> list[str]:
    known = [s.id for s in snapshot.provenance.sessions()]
    return [key for key in known if key == text] or [key for key in known if key.startswith(text)]


def side(snapshot: Snapshot, text: str) -> Side:
    """Return what ``text`` names: a session (id or start of one), a product (a file on disk or
    an entity id) or an activity (id or start of one).

    Raises
    ------
    NotFound
        If nothing is named so.
    QueryError
        If ``text`` names several things.
    """
    provenance = snapshot.provenance
    sessions = [] if os.path.isfile(text) else _sessions_named(snapshot, text)
    if len(sessions) > 1:
        raise QueryError(f"{text!r} is ambiguous: {len(sessions)} session ids start with it")
    if sessions:
        # session-local entity ids start with their session id: only activities compete
        if provenance.find_activities(id_prefix=text):
            raise QueryError(f"{text!r} is ambiguous: a session id and an activity id start with it")
        activities = provenance.find_activities(session=sessions[0])
        return Side("session", sessions[0], sessions[0][:8], sessions[0], activities)
    try:
        found = provenance.resolve(text)
    except NotFound:
        raise NotFound(f"no session, activity, entity or file {text!r}") from None
    kind, key = found[0]
    if kind == "activity":
        activity = provenance.activity(key)
        if activity is None:
            raise NotFound(f"no session, activity, entity or file {text!r}")
        return Side("activity", key, f"{activity.name} {key[:8]}", activity.session, [activity])
    entity = provenance.entity(key)
    if entity is None:
        raise NotFound(f"no session, activity, entity or file {text!r}")
    lineage = provenance.lineage(key)
    activities = sorted(lineage.activities.values(), key=_start)
    if not activities:
        raise QueryError(f"{text!r} names an entity that no activity of the logs generated")
    full = provenance.graph.get_activities([a.id for a in activities])
    activities = [full[a.id] for a in activities]
    makers = [link.activity for link in entity.generated_by if link.activity in full]
    session = full[makers[-1]].session if makers else activities[-1].session
    name = os.path.basename(text.rstrip("/")) if os.path.isfile(text) else _entity_name(entity)
    return Side("product", key, f"{name} ({entity.logged_id[:17]})", session, activities)


def _entity_name(entity: Optional[Entity]) -> str:
    if entity is None:
        return "?"
    if entity.location:
        return entity.location.rstrip("/").rsplit("/", 1)[-1] or entity.location
    return entity.value or entity.logged_id


def _keyed(activities: list) -> dict:
    """Return the activities by ``name`` (or ``name #k`` for the k-th of a repeated name)."""
    counts: dict = {}
    for activity in sorted(activities, key=_start):
        counts.setdefault(activity.name or "?", []).append(activity)
    keyed = {}
    for name, found in counts.items():
        for rank, activity in enumerate(found, 1):
            keyed[name if len(found) == 1 else f"{name} #{rank}"] = activity
    return keyed


def _links(snapshot: Snapshot, links: tuple) -> dict:
    """Return role to the sorted ``(content id, name)`` of the entities of ``links``."""
    entities = snapshot.provenance.graph.get_entities({link.entity for link in links})
    roles: dict = {}
    for link in links:
        entity = entities.get(link.entity)
        logged = entity.logged_id if entity is not None else link.entity
        roles.setdefault(link.role or "", []).append((logged, _entity_name(entity)))
    return {role: sorted(found) for role, found in roles.items()}


def _shown(entries: Optional[list]) -> Optional[list]:
    if entries is None:
        return None
    return [f"{name} ({logged})" if name != logged else logged for logged, name in entries]


def _mapping_differences(section: str, a: dict, b: dict, activity: Optional[str] = None) -> Iterator[Difference]:
    for key in sorted(set(a) | set(b), key=str):
        if a.get(key) != b.get(key) or (key in a) != (key in b):
            yield Difference(section, str(key), a.get(key), b.get(key), activity)


def _activity_differences(snapshot: Snapshot, a: Side, b: Side) -> Iterator[Difference]:
    left, right = _keyed(a.activities), _keyed(b.activities)
    for key in [k for k in left if k not in right]:
        yield Difference("activities", key, left[key].id, None)
    for key in [k for k in right if k not in left]:
        yield Difference("activities", key, None, right[key].id)
    for key in [k for k in left if k in right]:
        one, other = left[key], right[key]
        yield from _mapping_differences("parameters", one.parameters, other.parameters, key)
        for section, attribute in (("inputs", "used"), ("outputs", "generated")):
            mine, theirs = _links(snapshot, getattr(one, attribute)), _links(snapshot, getattr(other, attribute))
            for role in sorted(set(mine) | set(theirs)):
                if mine.get(role) != theirs.get(role):
                    yield Difference(section, role or "(no role)", _shown(mine.get(role)), _shown(theirs.get(role)), key)
        if one.status != other.status:
            yield Difference("status", "status", one.status, other.status, key)
        if one.exit_code != other.exit_code:
            yield Difference("status", "exit_code", one.exit_code, other.exit_code, key)
        yield from _note_differences(snapshot.notes_on(one.session, one.id), snapshot.notes_on(other.session, other.id),
                                     "notes", key)


def _note_texts(notes: list) -> list:
    """Return what is compared of ``notes``: their texts, each followed by its attributes
    (as JSON) when it has some, sorted; times and ids are left out."""
    return sorted(note.text + (" " + json.dumps(note.attributes, sort_keys=True, default=str) if note.attributes else "")
                  for note in notes)


def _note_differences(mine: list, theirs: list, key: str, activity: Optional[str] = None) -> Iterator[Difference]:
    left, right = _note_texts(mine), _note_texts(theirs)
    if left != right:
        yield Difference("notes", key, left or None, right or None, activity)


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _environment(details: dict, code: dict) -> dict:
    """Return the compared facts of a session record, by section."""
    system = _dict(details.get(SYSTEM))
    git = _dict(details.get(GIT))
    functions = {f"{name} {part}": identity[part] for name, identity in code.items()
                 for part in ("version", "digest") if part in identity}
    return {
        "code": {**({"git commit": git["commit"]} if "commit" in git else {}),
                 **({"git dirty": git["dirty"]} if "dirty" in git else {}), **functions},
        "packages": _dict(details.get(PACKAGES)),
        "python": {**_dict(system.get("python")), **({"executable": system["executable"]}
                                                      if "executable" in system else {})},
        "machine": _dict(system.get("platform")),
        "environment": _dict(system.get("environment")),
    }


def compare(snapshot: Snapshot, a: Side, b: Side) -> Comparison:
    """Return what differs between ``a`` and ``b``: their activities matched by name and rank
    (parameters, inputs and outputs by content id and role, status, notes), then the notes,
    code, packages, Python, machine and environment of their sessions."""
    differences = list(_activity_differences(snapshot, a, b))
    if a.session != b.session:
        differences.extend(_note_differences(snapshot.notes_on(a.session), snapshot.notes_on(b.session), "session"))
        left = _environment(snapshot.details.get(a.session, {}), snapshot.code.get(a.session, {}))
        right = _environment(snapshot.details.get(b.session, {}), snapshot.code.get(b.session, {}))
        for section in ("code", "packages", "python", "machine", "environment"):
            differences.extend(_mapping_differences(section, left[section], right[section]))
    differences.sort(key=lambda d: SECTIONS.index(d.section))
    return Comparison(a, b, differences)


_LONG_DIGEST = re.compile(r"\b([0-9a-f]{12})[0-9a-f]{20,}\b")


def _value(value: Any, section: str = "") -> str:
    if value is None:
        return "(none)"
    if section == "notes":
        return ", ".join(json.dumps(text, ensure_ascii=False) for text in value)
    if isinstance(value, list):
        text = ", ".join(map(str, value)) or "(none)"
    else:
        text = str(value)
    return _LONG_DIGEST.sub(r"\1…", text)


def comparison_lines(comparison: Comparison) -> list[str]:
    """Return the comparison as text: one line per difference, grouped by section."""
    a, b = comparison.a, comparison.b
    lines = [f"{letter}: {one.kind} {one.label} ({len(one.activities)} "
             f"activit{'y' if len(one.activities) == 1 else 'ies'})" for letter, one in (("A", a), ("B", b))]
    if comparison.identical:
        return lines + ["identical"]
    section = None
    for difference in comparison.differences:
        if difference.section != section:
            section = difference.section
            lines += ["", f"{section}:"]
        if section == "activities":
            where = "only in A" if difference.b is None else "only in B"
            lines.append(f"  {difference.key}: {where}")
            continue
        prefix = f"{difference.activity}: " if difference.activity else ""
        lines.append(f"  {prefix}{difference.key}: {_value(difference.a, difference.section)} -> {_value(difference.b, difference.section)}")
    return lines
