"""The sessions of a capture: the current one of this process, those joined from a parent
process, and the records that begin, complete and end them."""

from __future__ import annotations

import functools
import threading
from collections.abc import Mapping
from typing import Any, Callable

from .._version import __version__
from ..settings.config import Config
from ..settings.definitions import Definitions
from . import recordmaker
from .code import code_identity
from .environment import FACTS_WAIT, CodeFacts, system_info
from .plans import ActivityPlan
from .problems import Problems
from .process import current_pid
from .secrecy import SecrecyPolicy
from .tracking import BoundedSet
from .uuids import new_uuid
from .values import ValueWriter
from ..records.lines import dumps
from .writer import RecordWriter, now

__all__ = ["Session", "Sessions"]

#: Entities remembered per session as described (their entity record written).
_DESCRIBED_ENTITIES = 10_000
#: Longest text and most items of a value of the configuration in the session record.
_PLAIN_LIMIT = 100_000


class Session:
    """A session of this process: its id, when it began and the entities it described."""

    __slots__ = ("id", "pid", "described", "start")

    def __init__(self, session_id: str | None = None) -> None:
        self.id = session_id if session_id is not None else new_uuid()
        self.pid = current_pid()
        self.start = now()
        self.described = BoundedSet(_DESCRIBED_ENTITIES)


class Sessions:
    """Keep the session of a capture in this process, announced by its session record with
    the first activity, and write the facts about its code.

    Parameters
    ----------
    config : Config
        The configuration: what the session record says about the machine and the code.
    definitions : Definitions
        Written in the session record.
    secret : SecrecyPolicy
        Hides secrets in the session record.
    writer : RecordWriter
        Where the records go.
    problems : Problems
        Where problems are reported.
    release_pending : callable
        Writes the start records held back, before facts found later are written.
    job, container : mapping or None
        The job the process runs for and the container it runs in (`logprov.capture.jobs`,
        `logprov.capture.containers`), written in the session record.
    """

    def __init__(self, config: Config, definitions: Definitions, secret: SecrecyPolicy, writer: RecordWriter,
                 problems: Problems, release_pending: Callable[[], None], job: Mapping[str, str] | None = None,
                 container: Mapping[str, str] | None = None) -> None:
        self.definitions = definitions
        self.job = job
        self.container = container
        self.secret = secret
        self.writer = writer
        self.problems = problems
        self._release_pending = release_pending
        #: The session of this process (or of the parent, before a fork), or None.
        self.current: Session | None = None
        #: True while the current session's record is still to be written.
        self.unannounced = False
        self._lock = threading.Lock()
        self._joined: dict[str, Session] = {}
        self._modules: set[str] = set()
        #: The code facts of the process: `CallRecorder` starts their look-up once the session
        #: record is written (`CodeFacts.start`).
        self.code_facts = CodeFacts(bool(config.record_packages), bool(config.record_git), self._modules)
        self._code: dict[str, dict[str, Any]] = {}

    def _announced(self) -> Session | None:
        """Return the current session of this process when its record was written, else None."""
        session = self.current
        if session is None or session.pid != current_pid() or self.unannounced:
            return None
        return session

    @property
    def session_id(self) -> str | None:
        """Id of the current session of this process, or None before the first activity."""
        session = self.current
        return session.id if session is not None and session.pid == current_pid() else None

    @property
    def announced_id(self) -> str | None:
        """Id of the current session of this process once its record is written, else None."""
        session = self._announced()
        return session.id if session is not None else None

    def new(self) -> str:
        """End the current session (if any) and start a new one; return its id."""
        self.end()
        with self._lock:
            session = self.current = Session()
            self.unannounced = True
        return session.id

    def end(self) -> None:
        """Write the end record of the current session of this process, if it has begun."""
        session = self._announced()
        if session is None:
            return
        self.code_facts.wait(FACTS_WAIT)
        self.current = None
        if self.writer.enabled():
            self.writer.emit([recordmaker.session_end(session.id, now())])

    def for_call(self, origin: Any, module: str, config: Config, agent_name: str) -> tuple[Session, list[str]]:
        """Return the session an activity begun now belongs to, and the texts of the records to
        write before its own: the session record when the session begins with it.

        ``origin`` is the instance or class whose traced method begins the activity (None for
        a function or a block); ``module`` names the session when there is no origin.
        """
        session = self._announced()
        if session is not None:
            return session, []
        with self._lock:
            session = self._announced()
            if session is not None:
                return session, []
            session = self.current
            if session is None or session.pid != current_pid():
                session = self.current = Session()
            self.unannounced = False
            return session, [dumps(self._session_record(session, origin, module, config, agent_name))]

    def joined(self, session_id: str) -> Session:
        """Return this process's part of session ``session_id`` of the parent process (its
        record was written there)."""
        session = self._joined.get(session_id)
        if session is None or session.pid != current_pid():
            session = self._joined[session_id] = Session(session_id)
        return session

    def is_joined(self, session: Session) -> bool:
        """Return True when ``session`` is one of a parent process that this process joined."""
        return session.id in self._joined

    def _session_record(self, session: Session, origin: Any, module: str, config: Config,
                        agent_name: str) -> dict[str, Any]:
        """The session record: what takes long to look up (git, a scan of the distributions)
        is written later, in a record of its own (`_write_code_facts`)."""
        self._modules.add(module)
        facts = self.code_facts.begin(functools.partial(self._write_code_facts, session))
        system = system_info(config.env_vars, self.secret)
        if config.system_dict:
            system.update(self._plain(config.system_dict))
        return recordmaker.session(
            session.id, session.start, origin, module, agent_name=agent_name, version=__version__,
            hash_type=config.hash_type, system=system, job=self.job,
            container={key: self.secret.redact_text(value) for key, value in self.container.items()}
            if self.container else None, facts=facts, code=self._code,
            definitions=self.definitions.raw, config=self._plain(config.to_dict()),
        )

    def _plain(self, mapping: Mapping[str, Any]) -> dict[str, Any]:
        converted: dict[str, Any] = ValueWriter(self.secret, limit=_PLAIN_LIMIT, max_items=_PLAIN_LIMIT).convert(
            dict(mapping))
        return converted

    def _write_code_facts(self, session: Session, facts: dict[str, Any]) -> None:
        """Write the code facts of ``session`` looked up after its record was made, after the
        start batches held back (the session record among them)."""
        if session.pid == current_pid() and self.writer.enabled():
            self._release_pending()
            self.writer.emit([recordmaker.session_facts(session.id, facts)])

    def traced(self, plan: ActivityPlan, func: Callable[..., Any], version: str | None) -> None:
        """Note a function being decorated: its module (when the session record was written
        already, the versions of the distributions it brings are written in a record of the
        session) and its code identity (likewise written in a code record)."""
        if plan.module not in self._modules:
            self._modules.add(plan.module)
            self._record_new_packages(plan.module)
        self._remember_code(plan, func, version)

    def _record_new_packages(self, module: str) -> None:
        session = self._announced()
        if session is None:
            return
        try:
            new = self.code_facts.new_packages(module)
            if new and self.writer.enabled():
                self.writer.emit([recordmaker.packages(session.id, new)])
        except Exception as exc:
            self.problems.internal_error(module, exc)

    def _remember_code(self, plan: ActivityPlan, func: Callable[..., Any], version: str | None) -> None:
        try:
            if version is None and plan.description is not None:
                version = plan.description.extra.get("version")
            identity = code_identity(func, version)
            if not identity or self._code.get(plan.function) == identity:
                return
            self._code[plan.function] = identity
            session = self._announced()
            if session is not None and self.writer.enabled():
                self.writer.emit([recordmaker.code(session.id, plan.function, identity)])
        except Exception as exc:
            self.problems.internal_error(plan.function, exc)
