"""Namespaces and identifiers of the PROV documents built from logs.

Every identifier is a qualified name whose local part is an XML NCName, so that PROV-XML
validates and PROV-N needs no escaping: characters outside ``[A-Za-z0-9_.-]`` are replaced by
``_`` (with a short digest of the original appended, so distinct ids stay distinct), and a local
part that does not start with a letter or ``_`` gets a leading ``_``.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from typing import Optional, Tuple

from prov.identifier import Namespace, QualifiedName

__all__ = [
    "LOGPROV",
    "VOPROV",
    "SESSION",
    "ACTIVITY",
    "PARAMETER",
    "AGENT",
    "DESCRIPTION",
    "GENERATION",
    "JOB",
    "IMAGE",
    "BASE_NAMESPACES",
    "local_part",
    "qualified_text",
    "Parts",
    "IdMaker",
]

LOGPROV = Namespace("logprov", "https://logprov.readthedocs.io/ns#")
VOPROV = Namespace("voprov", "http://www.ivoa.net/documents/ProvenanceDM/index.html#")
SESSION = Namespace("session", "urn:logprov:session:")
ACTIVITY = Namespace("activity", "urn:logprov:activity:")
PARAMETER = Namespace("param", "urn:logprov:parameter:")
AGENT = Namespace("agent", "urn:logprov:agent:")
DESCRIPTION = Namespace("desc", "urn:logprov:description:")
GENERATION = Namespace("gen", "urn:logprov:generation:")
JOB = Namespace("job", "urn:logprov:job:")
IMAGE = Namespace("image", "urn:logprov:image:")

BASE_NAMESPACES = (LOGPROV, VOPROV, SESSION, ACTIVITY, PARAMETER, AGENT, DESCRIPTION, GENERATION, JOB, IMAGE)

_RESERVED_PREFIXES = frozenset(
    {"prov", "xsd", "xsi", "xml", "xmlns", "rdf", "rdfs", "owl"}
    | {namespace.prefix for namespace in BASE_NAMESPACES}
)
_SAFE = re.compile(r"[A-Za-z0-9_.\-]+")
_SAFE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]")
_PREFIX = re.compile(r"[A-Za-z0-9_.\-]+")


def _starts_ncname(text: str) -> bool:
    first = text[:1]
    return first == "_" or ("a" <= first <= "z") or ("A" <= first <= "Z")


@lru_cache(maxsize=16384)
def local_part(text: str) -> str:
    """Return ``text`` made into a valid NCName local part, deterministically.

    Parameters
    ----------
    text : str
        An id as found in a log.

    Returns
    -------
    str
        ``text`` itself when it is already safe, else a sanitised form.
    """
    if not _SAFE_NAME.fullmatch(text):
        if not _SAFE.fullmatch(text):
            digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=4).hexdigest()
            text = f"{_UNSAFE.sub('_', text)}-{digest}"
        if not _starts_ncname(text):
            text = "_" + text
    return text


Parts = Tuple[Namespace, str]


def _qualified(parts: Parts) -> QualifiedName:
    namespace, local = parts
    return namespace[local]


def _text(name: QualifiedName) -> str:
    return f"{name.namespace.prefix}:{name.localpart}"


def qualified_text(parts: Parts) -> str:
    """Return the ``prefix:local`` text of the qualified name made of ``parts``."""
    namespace, local = parts
    return f"{namespace.prefix}:{local}"


class IdMaker:
    """Turn the ids of records into qualified names, registering namespaces as needed.

    Each maker has its own `Namespace` objects for the namespaces of ids (sessions,
    activities, parameters, agents, descriptions, prefixes of global ids): `prov` keeps every
    qualified name made in a namespace for the life of the namespace, so these go away with the
    document instead of accumulating over the documents a process builds.

    Parameters
    ----------
    session_prefix : str
        Prefix used for the session namespace (``urn:logprov:session:``).
    """

    def __init__(self, session_prefix: str = "session") -> None:
        own = {
            ns.prefix: Namespace(ns.prefix, ns.uri) for ns in (ACTIVITY, PARAMETER, AGENT, DESCRIPTION, GENERATION)
        }
        self.session_ns = Namespace(session_prefix, SESSION.uri)
        self.activity_ns = own[ACTIVITY.prefix]
        self.parameter_ns = own[PARAMETER.prefix]
        self.agent_ns = own[AGENT.prefix]
        self.description_ns = own[DESCRIPTION.prefix]
        self.generation_ns = own[GENERATION.prefix]
        self.namespaces: dict[str, Namespace] = {LOGPROV.prefix: LOGPROV, VOPROV.prefix: VOPROV, **own}
        self.namespaces[self.session_ns.prefix] = self.session_ns
        self._external: dict[str, Namespace] = {}
        self._declared: dict[str, str] = {}
        self._prefixes: dict[str, str] = {}
        self._session_head = self.session_ns.prefix + ":"

    def declare(self, namespaces: object) -> None:
        """Take the ``namespaces`` mapping of a session's definitions (prefix to URI).

        Entity ids with a declared prefix get qualified names in the declared URI. The first
        URI read for a prefix is kept, and only for prefixes not met in an id before.
        """
        if not isinstance(namespaces, dict):
            return
        for prefix, uri in namespaces.items():
            if isinstance(prefix, str) and isinstance(uri, str) and uri and prefix not in self._external:
                self._declared.setdefault(prefix, uri)

    def session(self, session: str) -> QualifiedName:
        """Return the qualified name of a session."""
        return _qualified(self.session_parts(session))

    def session_parts(self, session: str) -> Parts:
        """Return the namespace and the local part of the qualified name of a session."""
        return self.session_ns, local_part(session)

    def activity(self, activity: str) -> QualifiedName:
        """Return the qualified name of an activity (ids are already session-qualified)."""
        return _qualified(self.activity_parts(activity))

    def activity_parts(self, activity: str) -> Parts:
        """Return the namespace and the local part of the qualified name of an activity."""
        return self.activity_ns, local_part(activity)

    def job(self, key: str) -> QualifiedName:
        """Return the qualified name of the job ``key`` (see `logprov.model.sessions.job_key`)."""
        return _qualified(self.job_parts(key))

    def job_parts(self, key: str) -> Parts:
        """Return the namespace and the local part of the qualified name of a job (the
        namespace is declared with the first job)."""
        return self._context_namespace(JOB), local_part(key)

    def image(self, key: str) -> QualifiedName:
        """Return the qualified name of the container image ``key``."""
        return _qualified(self.image_parts(key))

    def image_parts(self, key: str) -> Parts:
        """Return the namespace and the local part of the qualified name of a container image."""
        return self._context_namespace(IMAGE), local_part(key)

    def _context_namespace(self, base: Namespace) -> Namespace:
        namespace = self.namespaces.get(base.prefix)
        if namespace is None:
            namespace = self.namespaces[base.prefix] = Namespace(base.prefix, base.uri)
        return namespace

    def agent(self, name: str) -> QualifiedName:
        """Return the qualified name of the agent called ``name``."""
        return _qualified(self.agent_parts(name))

    def agent_parts(self, name: str) -> Parts:
        """Return the namespace and the local part of the qualified name of an agent."""
        return self.agent_ns, local_part(name)

    def parameter(self, activity: str, name: str) -> QualifiedName:
        """Return the qualified name of parameter ``name`` of an activity."""
        return _qualified(self.parameter_parts(activity, name))

    def parameter_parts(self, activity: str, name: str) -> Parts:
        """Return the namespace and the local part of the qualified name of a parameter."""
        return self.parameter_ns, local_part(f"{activity}.{name}")

    def description(self, key: str) -> QualifiedName:
        """Return the qualified name of a description."""
        return self.description_ns[local_part(key)]

    def generated_text(self, entity: str, activity: str) -> str:
        """Return the ``prefix:local`` text of the entity ``entity`` as generated by an activity.

        Parameters
        ----------
        entity : str
            The ``prefix:local`` text of the content entity (see `entity_text`).
        activity : str
            The activity id (session-qualified when it is not a UUID).
        """
        return f"{self.generation_ns.prefix}:{entity.replace(':', '.', 1)}.by.{local_part(activity)}"

    def derived_text(self, entity: str, progenitor: str, activity: Optional[str] = None) -> str:
        """Return the ``prefix:local`` text of the entity ``entity`` as derived from ``progenitor``
        (both ``prefix:local`` texts of content entities), in ``activity`` (an activity id) when
        the derivation happened in one."""
        text = f"{self.generation_ns.prefix}:{entity.replace(':', '.', 1)}.from.{progenitor.replace(':', '.', 1)}"
        return text if activity is None else f"{text}.in.{local_part(activity)}"

    def generated(self, entity: QualifiedName, activity: str) -> QualifiedName:
        """Return the qualified name of `generated_text`."""
        return self._own(self.generated_text(_text(entity), activity))

    def derived(self, entity: QualifiedName, progenitor: QualifiedName, activity: Optional[str] = None) -> QualifiedName:
        """Return the qualified name of `derived_text`."""
        return self._own(self.derived_text(_text(entity), _text(progenitor), activity))

    def _own(self, text: str) -> QualifiedName:
        return self.generation_ns[text.partition(":")[2]]

    def entity(self, entity: str, session: str | None) -> QualifiedName:
        """Return the qualified name of an entity.

        An id with a ``prefix:`` is global and keeps its prefix; any other id is local to its
        session and is qualified with it.

        Parameters
        ----------
        entity : str
            The id as logged.
        session : str or None
            The session of the record that mentions it.
        """
        return _qualified(self.entity_parts(entity, session))

    def entity_parts(self, entity: str, session: str | None) -> Parts:
        """Return the namespace and the local part of the qualified name of an entity (that of
        `entity_text`)."""
        prefix, _, local = self.entity_text(entity, session)[0].partition(":")
        return self.namespaces[prefix], local

    def entity_text(self, entity: str, session: str | None) -> Tuple[str, bool]:
        """Return the ``prefix:local`` text of an entity and whether its id is local to a session.

        Parameters
        ----------
        entity : str
            The id as logged.
        session : str or None
            The session of the record that mentions it.

        Returns
        -------
        tuple of (str, bool)
            The text of `entity`'s qualified name, and False for an id with a ``prefix:``
            (which names the same entity in every session).
        """
        prefix, sep, rest = entity.partition(":")
        if sep and prefix:
            found = self._prefixes.get(prefix)
            if found is None and _PREFIX.fullmatch(prefix):
                found = self._prefixes[prefix] = self._external_namespace(prefix).prefix + ":"
            if found is not None:
                return found + local_part(rest), False
        if session is not None:
            entity = f"{session}.{entity}"
        return self._session_head + local_part(entity), True

    def _external_namespace(self, prefix: str) -> Namespace:
        namespace = self._external.get(prefix)
        if namespace is None:
            declared = self._declared.get(prefix)
            name, uri = prefix, declared or f"urn:logprov:{prefix}:"
            reserved = prefix.lower() in _RESERVED_PREFIXES or prefix == self.session_ns.prefix
            if reserved or not _starts_ncname(prefix):
                name, uri = f"id_{prefix}", declared or f"urn:logprov:id:{prefix}:"
            base, number = name, 0
            while name in self.namespaces:
                number += 1
                name = f"{base}_{number}"
            namespace = Namespace(name, uri)
            self._external[prefix] = namespace
            self.namespaces[name] = namespace
        return namespace
