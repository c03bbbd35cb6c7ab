"""`ProvCapture`: trace functions and classes and log their provenance."""

from __future__ import annotations

import atexit
import contextvars
import functools
import inspect
import os
import threading
import time
import warnings
import weakref
from collections.abc import Mapping
from logging import INFO
from typing import TYPE_CHECKING, Any, Callable, Iterable, Optional, TypeVar

from .._version import __version__
from .children import remember_traced_class
from .process import INHERITED, current_pid
from ..settings.config import Config, load_config
from ..settings.definitions import Definitions, UnmatchedDefinitionWarning, load_definitions, unmatched_activities
from .entities import Entity, EntityFactory
from .containers import process_container
from .flusher import Flusher
from .jobs import current_job
from .logfiles import resolve_log_filename, uses_placeholder
from ..handlers import ProvFileHandler, ProvMemoryHandler, setup_logger
from .parameters import ConfigurationMemo, is_parameter_value, parameter_value
from .plans import OBJECT, ActivityPlan, EntityPlan, activity_plan, guess_scope
from ..records.lines import dumps, fragment, quote
from ..records.templates import END, GENERATED, GENERATED_DIGEST, PARAMETERS, START, USED, USED_DIGEST
from .writer import RecordWriter, now
from .scope import CallScope
from .code import code_identity
from .environment import FACTS_WAIT, CodeFacts, agent_name, system_info
from .tracking import BoundedSet, LocationTracker, ObjectTracker
from .secrecy import REDACTED, SecrecyPolicy
from .values import ValueWriter

if TYPE_CHECKING:
    from ..export.notebook import NotebookDocument
    from .manual import ActivityContext
    from ..reading.reader import ProvRecord

__all__ = ["ProvCapture"]

F = TypeVar("F", bound=Callable[..., Any])
_SCALARS = (str, int, float, bool, type(None))
_IMMUTABLE = frozenset({str, int, float, bool, complex, bytes, type(None)})
_MAX_MEMBERS = 100_000
_RESULT_ITEMS = 8
#: Id schemes of digests that change with any change of the value's content outside large
#: buffers (those a remembered instance configuration may be looked up with).
_CONTENT_SCHEMES = frozenset({None, "sampled", "pickled"})
_SUSPENDED: contextvars.ContextVar[bool] = contextvars.ContextVar("logprov_suspended", default=False)
_DESCRIBED_ENTITIES = 10_000
_clock = time.perf_counter
_UUID_BATCH = 128
_UUID_SIZE = 37
#: Random byte to hexadecimal digit (of its low 4 bits) and to RFC 4122 variant digit (8 to b).
_HEX_DIGIT = bytes(b"0123456789abcdef"[byte & 0x0F] for byte in range(256))
_VARIANT_DIGIT = bytes(b"89ab"[byte & 0x03] for byte in range(256))
_VARIANT_POSITION = 19
#: Characters at fixed positions of ``xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx`` and a line end.
_UUID_FIXED = tuple((position, char * _UUID_BATCH) for position, char in (
    (8, b"-"), (13, b"-"), (14, b"4"), (18, b"-"), (23, b"-"), (36, b"\n"),
))
_uuids: list[str] = []
os.register_at_fork(after_in_child=_uuids.clear)


def _uuid_batch() -> list[str]:
    """Return `_UUID_BATCH` random (version 4) UUID strings, made together from `os.urandom`.

    Every character comes from one random byte: a hexadecimal digit from its low 4 bits, the
    variant digit from its low 2 bits; the dashes and the version digit are written over.
    """
    random_bytes = bytearray(os.urandom(_UUID_SIZE * _UUID_BATCH))
    variants = random_bytes[_VARIANT_POSITION::_UUID_SIZE].translate(_VARIANT_DIGIT)
    text = random_bytes.translate(_HEX_DIGIT)
    text[_VARIANT_POSITION::_UUID_SIZE] = variants
    for position, chars in _UUID_FIXED:
        text[position::_UUID_SIZE] = chars
    return text.decode("ascii").split()


def new_uuid() -> str:
    """Return a random (version 4) UUID string.

    UUIDs are made in batches from `os.urandom`; a child process drops those its parent left.
    """
    try:
        return _uuids.pop()
    except IndexError:
        batch = _uuid_batch()
        text = batch.pop()
        _uuids.extend(batch)
        return text


class _Session:
    __slots__ = ("id", "pid", "described", "start")

    def __init__(self, described_size: int) -> None:
        self.id = new_uuid()
        self.pid = current_pid()
        self.start = now()
        self.described = BoundedSet(described_size)


class _Run:
    """An activity in progress.

    ``pending`` holds the start batch while it is held back; whoever writes it takes it with
    one atomic ``list.pop``, so it is written exactly once.
    """

    __slots__ = ("activity_id", "name", "session", "scope", "started", "token", "plan", "inputs", "pending", "within",
                 "products")

    def __init__(self, activity_id: str, name: str, session: _Session, scope: CallScope | None, plan: ActivityPlan | None) -> None:
        self.activity_id = activity_id
        self.name = name
        self.session = session
        self.scope = scope
        self.plan = plan
        self.started = _clock()
        self.token: contextvars.Token | None = None
        self.inputs: list = []
        self.pending: list[tuple[str, list[str]]] = []
        #: Id of the activity this one runs inside (its parent), or None.
        self.within: str | None = None
        self.products: list[str] = []


class ProvCapture:
    """Capture provenance of traced functions and methods through :mod:`logging`.

    Parameters
    ----------
    definitions : str, path, mapping or None
        The activity and entity descriptions (a ``definition.yaml`` path or the same as a dict).
    config : str, path, mapping, Config or None
        Capture options (see the configuration reference); a YAML path or a dict.
    id_functions : mapping of str to callable, optional
        Per entity description name, a function returning the id of a value (or, for files,
        of a path) instead of the content digest.
    get_file_id_func : callable, optional
        A function returning the id of any file from its path (logprov 0.0.2 option).

    Examples
    --------
    >>> capture = ProvCapture(definitions="definition.yaml", config={"log_filename": "prov.log"})
    >>> @capture.trace_methods
    ... class Analysis:
    ...     def run_fit(self): ...
    """

    def __init__(
        self,
        definitions: Any = None,
        config: Any = None,
        *,
        id_functions: Mapping[str, Callable[[Any], Any]] | None = None,
        get_file_id_func: Callable[[Any], Any] | None = None,
    ) -> None:
        self.config: Config = config if isinstance(config, Config) else load_config(config)
        self.definitions: Definitions = load_definitions(definitions, self.config.max_definition_bytes)
        cfg = self.config
        self.secret = cfg.secrecy
        self.values = ValueWriter(self.secret, limit=cfg.value_length)
        self.entities = EntityFactory(
            hash_type=cfg.hash_type,
            max_hash_bytes=cfg.max_hash_bytes,
            digest_time_budget=cfg.digest_time_budget,
            values=self.values,
            id_functions=id_functions,
            file_id_function=get_file_id_func,
        )
        self._job = current_job(cfg.job, self.secret)
        self._container = process_container()
        #: ``(absolute log_filename, the file it gives in this process)``, or None.
        self._log_file: tuple[str, str] | None = None
        if cfg.log_filename is not None:
            template = os.path.abspath(cfg.log_filename)
            self._log_file = (template, self._resolved(template))
        self.logger = setup_logger(cfg.logger_name, self._log_file[1] if self._log_file else None, cfg.logging)
        self.writer = RecordWriter(self.logger)
        self._digest = self.entities.digester.digest
        self.enabled: bool = bool(cfg.capture)
        self.agent_name = cfg.agent_name or agent_name()
        self._session: _Session | None = None
        self._session_unannounced = False
        self._session_lock = threading.Lock()
        self._current: contextvars.ContextVar[_Run | None] = contextvars.ContextVar(
            f"logprov_activity_{id(self)}", default=None
        )
        self._locations = LocationTracker()
        self._objects = ObjectTracker()
        self._configurations = ConfigurationMemo()
        self._flush_interval = float(cfg.flush_interval)
        self._running: dict[str, _Run] = {}
        self._joined: dict[str, _Session] = {}
        self._flusher = Flusher(self._flush_interval, weakref.WeakMethod(self._release_overdue))
        self._warned: set = set()
        self._agent: tuple[str | None, str] = (None, "")
        self._modules: set[str] = set()
        self._code_facts = CodeFacts(bool(cfg.record_packages), bool(cfg.record_git), self._modules)
        self._code: dict[str, dict] = {}
        atexit.register(_end_session_at_exit, weakref.ref(self))
        _CAPTURES.add(self)

    def set_log_filename(self, log_filename: str | os.PathLike) -> None:
        """Write from now on to ``log_filename`` (replacing the default file handler, or the
        in-memory buffer); its placeholders are those of the ``log_filename`` key.

        Handlers the application added to the logger itself are left as they are.

        Raises
        ------
        ConfigError
            For an unknown placeholder or a stray brace.
        """
        config = self.config.replace(log_filename=os.fspath(log_filename))
        template = os.path.abspath(os.fspath(log_filename))
        self._log_file = (template, self._resolved(template))
        for handler in list(self.logger.handlers):
            if isinstance(handler, (ProvFileHandler, ProvMemoryHandler)):
                self.logger.removeHandler(handler)
                handler.close()
        self.logger.addHandler(ProvFileHandler(self._log_file[1]))
        self.config = config

    def _resolved(self, template: str) -> str:
        """The absolute file name ``template`` gives in this process."""
        return os.path.abspath(resolve_log_filename(template, self._job))

    def _follow_pid(self) -> None:
        """In a forked child, write to a file of its own when the log file name has ``{pid}``
        (the parent's file handler, if still in place, is replaced)."""
        log_file = self._log_file
        if log_file is None or not uses_placeholder(log_file[0], "pid"):
            return
        template, previous = log_file
        self._log_file = (template, self._resolved(template))
        for handler in list(self.logger.handlers):
            if isinstance(handler, ProvFileHandler) and handler.baseFilename == previous:
                self.logger.removeHandler(handler)
                handler.close()
                self.logger.addHandler(ProvFileHandler(self._log_file[1]))

    # What was logged

    def records(self) -> list[ProvRecord]:
        """Return the records of the current session (every record kept, when there is none).

        They are read from the capture's own handler: the in-memory buffer when
        ``log_filename`` is None, else its log file. Start records held back are written first.

        Raises
        ------
        LogprovError
            When the logger keeps its records neither in memory nor in a file of its own.
        """
        from .history import logged_records

        self._release_all()
        return logged_records(self.logger, self.session_id)

    def document(self) -> "NotebookDocument":
        """Return the provenance of the current session (see `records`) as a PROV document.

        The document is a `prov.model.ProvDocument` that Jupyter shows as its graph.
        """
        from .history import session_document

        return session_document(self.records())

    def note(self, text: str, **attributes: Any) -> str | None:
        """Attach a timestamped note to the activity in progress, or to the session outside
        activities; return the note's id (None when nothing is logged).

        Parameters
        ----------
        text : str
            The note.
        **attributes
            Further values kept with the note (written like parameters: secrets hidden,
            long values cut).
        """
        if not self.enabled or not self.writer.enabled():
            return None
        suspended = _SUSPENDED.set(True)
        try:
            run = self._current.get()
            records: list[str] = []
            if run is not None:
                self._release(run)
                session_id = run.session.id
            else:
                session, records = self._session_for(None, "__main__")
                session_id = session.id
            note_id = new_uuid()
            timestamp = now()
            record = {"note_id": note_id, "note": self.secret.redact_text(str(text)), "in_session": session_id,
                      "time": timestamp}
            if run is not None:
                record["about_activity"] = run.activity_id
            if attributes:
                record["attributes"] = self.values.parameters(attributes.items())
            records.append(dumps(record))
            self.writer.emit_texts(((timestamp, records),))
            return note_id
        except Exception as exc:
            self._internal_error("note", exc)
            return None
        finally:
            _SUSPENDED.reset(suspended)

    # Sessions

    @property
    def session_id(self) -> str | None:
        """Id of the current session of this process, or None before the first activity."""
        session = self._session
        return session.id if session is not None and session.pid == current_pid() else None

    def new_session(self) -> str:
        """End the current session (if any) and start a new one; return its id.

        The session record is written with the first activity of the new session.
        """
        self.end_session()
        with self._session_lock:
            self._session = _Session(_DESCRIBED_ENTITIES)
            self._session_unannounced = True
        return self._session.id

    def end_session(self) -> None:
        """Write the end record of the current session of this process, if it has begun."""
        session = self._session
        if session is None or session.pid != current_pid() or self._session_unannounced:
            return
        self._code_facts.wait(FACTS_WAIT)
        self._session = None
        if self.writer.enabled():
            self.writer.emit([{"session_id": session.id, "endTime": now()}])

    def _session_for(self, origin: Any, module: str) -> tuple[_Session, list]:
        session = self._session
        if session is not None and session.pid == current_pid() and not self._session_unannounced:
            return session, []
        with self._session_lock:
            session = self._session
            if session is not None and session.pid == current_pid() and not self._session_unannounced:
                return session, []
            if session is None or session.pid != current_pid():
                session = self._session = _Session(_DESCRIBED_ENTITIES)
            self._session_unannounced = False
            return session, [dumps(self._session_record(session, origin, module))]

    def _joined_session(self, session_id: str) -> _Session:
        """Return this process's part of session ``session_id`` of the parent process (its
        record was written there)."""
        session = self._joined.get(session_id)
        if session is None or session.pid != current_pid():
            session = self._joined[session_id] = _Session(_DESCRIBED_ENTITIES)
            session.id = session_id
        return session

    def _session_record(self, session: _Session, origin: Any, module: str) -> dict:
        """The session record: what takes long to look up (git, a scan of the distributions)
        is written later, in a record of its own (`_write_code_facts`)."""
        cfg = self.config
        self._modules.add(module)
        code_facts = self._code_facts.begin(functools.partial(self._write_code_facts, session))
        record: dict[str, Any] = {"session_id": session.id, "startTime": session.start}
        if origin is not None:
            cls = origin if isinstance(origin, type) else type(origin)
            record.update(name=cls.__name__, module=cls.__module__)
            record["class"] = cls.__qualname__
        else:
            record.update(name=module, module=module)
        record["agent_name"] = self.agent_name
        record["logprov_version"] = __version__
        record["hash_type"] = cfg.hash_type
        system = system_info(cfg.env_vars, self.secret)
        if cfg.system_dict:
            system.update(self._plain(cfg.system_dict))
        record["system"] = system
        if self._job:
            record["job"] = dict(self._job)
        if self._container:
            record["container"] = {key: self.secret.redact_text(value) for key, value in self._container.items()}
        record.update(code_facts)
        if self._code:
            record["code"] = dict(self._code)
        record["definitions"] = self.definitions.raw
        record["config"] = self._plain(cfg.to_dict())
        return record

    def _write_code_facts(self, session: _Session, facts: dict) -> None:
        """Write the code facts of ``session`` looked up after its record was made, after the
        start batches held back (the session record among them)."""
        if session.pid == current_pid() and self.writer.enabled():
            self._release_all()
            self.writer.emit([{"session_id": session.id, **facts}])

    def _record_new_packages(self, module: str) -> None:
        """When ``module`` is traced after the session record was written, write the versions
        of the distributions not recorded yet as a packages record of the session."""
        session = self._session
        if session is None or session.pid != current_pid() or self._session_unannounced:
            return
        try:
            new = self._code_facts.new_packages(module)
            if new and self.writer.enabled():
                self.writer.emit([{"session_id": session.id, "packages": new}])
        except Exception as exc:
            self._internal_error(module, exc)

    def _remember_code(self, plan: Any, func: Callable, version: str | None) -> None:
        """Note the code identity of a function being decorated, for the session record; when
        the session record was written already, write it in a code record of the session."""
        try:
            if version is None and plan.description is not None:
                version = plan.description.extra.get("version")
            identity = code_identity(func, version)
            if not identity or self._code.get(plan.function) == identity:
                return
            self._code[plan.function] = identity
            session = self._session
            if session is not None and session.pid == current_pid() and not self._session_unannounced \
                    and self.writer.enabled():
                self.writer.emit([{"in_session": session.id, "code": {plan.function: identity}}])
        except Exception as exc:
            self._internal_error(plan.function, exc)

    def _plain(self, mapping: Mapping) -> dict:
        return ValueWriter(self.secret, limit=100_000, max_items=100_000).convert(dict(mapping))

    # Decorators

    def trace(self, func: F | None = None, *, name: str | None = None, described_only: bool | None = None,
              version: str | None = None) -> F:
        """Trace a function, method, static method or class method.

        Each call is logged as an activity with its parameters, used and generated entities.

        Parameters
        ----------
        func : callable
            The function (also a `staticmethod` or `classmethod` object).
        name : str, optional
            Activity name; defaults to the function name.
        described_only : bool, optional
            Leave the function untraced when the definitions do not describe it (default: the
            ``described_only`` config option).
        version : str, optional
            Version of the function's code, logged with the digest of its source (default:
            the ``version`` of its activity description).

        Returns
        -------
        callable
            The traced function, with the original's name, docstring and signature.
        """
        if func is None:
            return functools.partial(self.trace, name=name, described_only=described_only, version=version)
        if isinstance(func, staticmethod):
            return staticmethod(self._wrap(func.__func__, name, None, described_only, version))
        if isinstance(func, classmethod):
            return classmethod(self._wrap(func.__func__, name, "cls", described_only, version))
        return self._wrap(func, name, guess_scope(func), described_only, version)

    def trace_methods(
        self,
        cls: type | None = None,
        *,
        include: Iterable[str] | None = None,
        exclude: Iterable[str] | None = None,
        described_only: bool | None = None,
        inherited: bool = True,
    ) -> type:
        """Trace the methods of a class, in place; usable as a class decorator.

        The class is inspected statically (its ``__dict__`` and those of its bases): no
        attribute of an instance is touched, properties are left alone, static and class methods
        stay static and class methods.

        Parameters
        ----------
        cls : type
            The class, e.g. ``gammapy.analysis.Analysis``.
        include : iterable of str, optional
            Trace only these methods (private ones included if named).
        exclude : iterable of str, optional
            Never trace these methods.
        described_only : bool, optional
            Trace only the methods the definitions describe (default: config ``described_only``).
            A `logprov.settings.definitions.UnmatchedDefinitionWarning` names the definitions file and the activity
            descriptions when none of the methods is described, and the descriptions
            ``Class.method`` of methods the class does not have.
        inherited : bool
            Also trace public methods inherited from base classes (set on ``cls`` only; the
            bases are not modified).

        Returns
        -------
        type
            ``cls`` itself.
        """
        if cls is None:
            return functools.partial(
                self.trace_methods, include=include, exclude=exclude,
                described_only=described_only, inherited=inherited,
            )
        only = set(include) if include is not None else None
        skip = set(exclude or ())
        if described_only is None:
            described_only = self.config.described_only
        seen: set[str] = set()
        traced = 0
        for klass in cls.__mro__:
            if klass is object or (klass is not cls and not inherited):
                continue
            for attr_name, attr in list(vars(klass).items()):
                if attr_name in seen:
                    continue
                seen.add(attr_name)
                if only is not None and attr_name not in only:
                    continue
                if only is None and attr_name.startswith("_"):
                    continue
                if attr_name in skip:
                    continue
                wrapped = self._wrap_attribute(attr, described_only)
                if wrapped is not None and wrapped is not attr:
                    setattr(cls, attr_name, wrapped)
                func = getattr(wrapped, "__func__", wrapped)
                traced += getattr(func, "__logprov_capture__", None) is self
        if described_only:
            problem = unmatched_activities(self.definitions, cls.__qualname__, seen, traced)
            if problem is not None:
                warnings.warn(problem, UnmatchedDefinitionWarning, stacklevel=2)
        remember_traced_class(self, cls, only, skip, described_only, inherited)
        return cls

    def _wrap_attribute(self, attr: Any, described_only: bool) -> Any:
        if isinstance(attr, staticmethod):
            inner = self._wrap(attr.__func__, None, None, described_only)
            return attr if inner is attr.__func__ else staticmethod(inner)
        if isinstance(attr, classmethod):
            inner = self._wrap(attr.__func__, None, "cls", described_only)
            return attr if inner is attr.__func__ else classmethod(inner)
        if inspect.isfunction(attr):
            return self._wrap(attr, None, "self", described_only)
        return None

    def _wrap(self, func: Callable, name: str | None, scope: str | None, described_only: bool | None,
              version: str | None = None) -> Callable:
        if getattr(func, "__logprov_capture__", None) is self:
            return func
        plan = activity_plan(func, self.definitions, name, scope)
        if described_only is None:
            described_only = self.config.described_only
        if described_only and plan.description is None:
            return func
        if plan.module not in self._modules:
            self._modules.add(plan.module)
            self._record_new_packages(plan.module)
        self._remember_code(plan, func, version)
        capture = self

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                if not capture.enabled:
                    return await func(*args, **kwargs)
                run = capture._begin(plan, args, kwargs)
                if run is None:
                    return await func(*args, **kwargs)
                try:
                    result = await func(*args, **kwargs)
                except BaseException as exc:
                    capture._end(run, None, exc)
                    raise
                capture._end(run, result, None)
                return result

            async_wrapper.__logprov_capture__ = self
            return async_wrapper

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not capture.enabled:
                return func(*args, **kwargs)
            run = capture._begin(plan, args, kwargs)
            if run is None:
                return func(*args, **kwargs)
            try:
                result = func(*args, **kwargs)
            except BaseException as exc:
                capture._end(run, None, exc)
                raise
            capture._end(run, result, None)
            return result

        wrapper.__logprov_capture__ = self
        return wrapper

    # Manual API

    def activity(self, name: str, parameters: Mapping[str, Any] | None = None) -> "ActivityContext":
        """Return a context manager that logs a block of code as an activity.

        Parameters
        ----------
        name : str
            Activity name (looked up in the definitions like a function name).
        parameters : mapping, optional
            Parameters of the activity.

        Examples
        --------
        >>> with capture.activity("calibrate", parameters={"gain": 1.2}) as act:
        ...     act.add_input_file("raw.fits", role="raw")
        ...     act.add_output_file("calibrated.fits", role="calibrated")
        """
        from .manual import ActivityContext

        return ActivityContext(self, name, parameters)

    def add_input_file(self, path: str | os.PathLike, role: str | None = None) -> str | None:
        """Log a file used by the activity in progress; return its entity id."""
        return self._manual_entity(self._current.get(), path, role, used=True, file=True)

    def add_output_file(self, path: str | os.PathLike, role: str | None = None) -> str | None:
        """Log a file generated by the activity in progress; return its entity id."""
        return self._manual_entity(self._current.get(), path, role, used=False, file=True)

    def _manual_entity(self, run: _Run | None, target: Any, role: str | None, used: bool, file: bool,
                       location: str | None = None) -> str | None:
        suspended = _SUSPENDED.set(True)
        try:
            return self._log_manual_entity(run, target, role, used, file, location)
        finally:
            _SUSPENDED.reset(suspended)

    def _log_manual_entity(self, run: _Run | None, target: Any, role: str | None, used: bool, file: bool,
                           location: str | None) -> str | None:
        if run is None:
            self._warn_once(("no-activity", used), "add_input_file/add_output_file called outside an activity; ignored")
            return None
        try:
            if file:
                entity = self.entities.file(target, None, {"type": "File"})
            else:
                entity = self.entities.value(target, {"type": "PythonObject"}, location)
        except OSError as exc:
            self._warn_once(("manual-file", str(target)), f"activity {run.name!r}: cannot hash {target!r}: {exc}")
            return None
        self._release(run)
        records: list[str] = []
        timestamp = now()
        self._describe(run.session, entity, records)
        tail = fragment({"used_role" if used else "generated_role": role}) if role is not None else ""
        if used:
            self._check_location(run.session, entity, records, timestamp, run.within)
            records.append(USED % (run.activity_id, quote(entity.id), tail))
        else:
            self._track(entity, run.within)
            records.append(GENERATED % (run.activity_id, quote(entity.id), tail))
            if self.config.embed_products and entity.track is not None:
                run.products.append(entity.track[1])
        self.writer.emit_texts(((timestamp, records),))
        return entity.id

    # The traced call

    def _begin(self, plan: ActivityPlan | None, args: tuple, kwargs: dict, name: str | None = None, parameters: Mapping | None = None) -> _Run | None:
        """Log the start of an activity; return its run, or None when nothing is logged.

        Nothing is logged inside the capture's own inspection of values: whatever the capture
        does runs with tracing suspended in the current context.
        """
        if _SUSPENDED.get():
            return None
        suspended = _SUSPENDED.set(True)
        try:
            return self._start(plan, args, kwargs, name, parameters)
        finally:
            _SUSPENDED.reset(suspended)

    def _start(self, plan: ActivityPlan | None, args: tuple, kwargs: dict, name: str | None, parameters: Mapping | None) -> _Run | None:
        try:
            if not self.logger.isEnabledFor(INFO):
                return None
            scope = CallScope(plan, args, kwargs) if plan is not None else None
            session = self._session
            caller = self._current.get()
            inherited = None if caller is not None else INHERITED.get()
            if inherited is not None:
                session, records = self._joined_session(inherited[0]), []
            elif caller is not None and caller.session is not session and caller.session.id in self._joined:
                session, records = caller.session, []
            elif session is None or session.pid != current_pid() or self._session_unannounced:
                origin = scope.instance if scope is not None else None
                session, records = self._session_for(origin, plan.module if plan is not None else "__main__")
            else:
                records = []
            activity_id = new_uuid()
            run = _Run(activity_id, plan.name if plan is not None else name, session, scope, plan)
            start_time = now()
            tail = plan.function_tail if plan is not None else ""
            parent = caller
            if parent is not None:
                tail += ',"parent_activity_id":"%s"' % parent.activity_id
                run.within = parent.activity_id
                self._release(parent)
            elif inherited is not None and inherited[1] is not None:
                tail += ',"parent_activity_id":"%s"' % inherited[1]
            start = START % (activity_id, plan.name_text if plan is not None else quote(run.name), start_time,
                             session.id, self._agent_text(), tail)
            body: list[str] = []
            values = dict(parameters) if parameters else {}
            if plan is not None:
                self._plan_inputs(plan, scope, run, values, records, body, start_time)
            records.append(start)
            if values:
                records.append(PARAMETERS % (activity_id, dumps(self.values.parameters(values.items()))))
            records.extend(body)
            if self._flush_interval > 0:
                run.pending.append((start_time, records))
                self._running[activity_id] = run
                self._flusher.ensure_running()
            else:
                self.writer.emit_texts(((start_time, records),))
            run.token = self._current.set(run)
            return run
        except Exception as exc:
            self._internal_error(plan.name if plan is not None else name, exc)
            return None

    def _agent_text(self) -> str:
        """Return the agent name as a JSON string (encoded again only when it changed)."""
        name = self.agent_name
        if self._agent[0] is not name:
            self._agent = (name, quote(name))
        return self._agent[1]

    def _release(self, run: _Run) -> None:
        """Write the start batch of ``run`` now if it is still held back."""
        try:
            pending = run.pending.pop()
        except IndexError:
            return
        self.writer.emit_texts((pending,))

    def _release_all(self) -> None:
        """Write every start batch still held back."""
        for run in list(self._running.values()):
            self._release(run)

    def _release_overdue(self) -> None:
        """Write the start batches of activities running for longer than the flush interval."""
        deadline = time.perf_counter() - self._flush_interval
        for run in list(self._running.values()):
            if run.started <= deadline and run.pending:
                self._release(run)

    def _plan_inputs(self, plan: ActivityPlan, scope: CallScope, run: _Run, values: dict, derivations: list,
                     body: list, start_time: str) -> None:
        session, activity_id = run.session, run.activity_id
        secret_paths = self.secret.paths
        for name, path in plan.parameters:
            hidden = secret_paths.get(path.text)
            if hidden or (hidden is None and self.secret.hides_path(path)):
                values[name] = REDACTED
                continue
            try:
                values[name] = scope.resolve(path)[0]
            except Exception as exc:
                self._warn_once((plan.function, "parameter", name), f"activity {plan.name!r}: parameter {name!r}: {exc}; not logged")
        for entity_plan in plan.usage:
            if entity_plan.by_value:
                self._use_value(entity_plan, run, derivations, body, start_time)
                continue
            entity = self._resolve_entity(entity_plan, scope, plan, "usage")
            if entity is None:
                continue
            self._check_location(session, entity, derivations, start_time, run.within)
            if entity.id not in session.described:
                self._describe(session, entity, body)
            body.append(USED % (activity_id, quote(entity.id), entity_plan.used_tail))
            if entity.track is not None and self.config.check_modified_inputs:
                run.inputs.append((entity_plan, entity.id, entity.value))
            if entity_plan.members is not None:
                self._members(entity_plan.members, entity.id, scope, plan, session, body, progenitors=False)
        if plan.instance is not None and scope.instance is not None and self.config.log_args_as_entities:
            self._instance_inputs(plan, run, values, derivations, body, start_time)
        if plan.free_arguments:
            self._argument_inputs(plan, scope, run, values, body, derivations, start_time)

    def _instance_inputs(self, plan: ActivityPlan, run: _Run, values: dict, derivations: list, body: list,
                         start_time: str) -> None:
        """Log what an undescribed method reads from its instance: the configuration the instance
        exposes (as ``self.<name>`` parameters) and its state (used as role ``self``, checked for
        a change after the call). The configuration is read again only when the state's id
        changed (`ConfigurationMemo`)."""
        instance = run.scope.instance
        used = self._use_value(plan.instance, run, derivations, body, start_time)
        state_id = used[0] if used is not None and used[1] in _CONTENT_SCHEMES else None
        try:
            values.update(self._configurations.configuration(instance, state_id))
        except Exception as exc:
            self._warn_once((plan.function, "configuration"),
                            f"activity {plan.name!r}: configuration of the instance: {type(exc).__name__}: {exc}; not logged")
        if used is not None:
            run.inputs.append((plan.instance, used[0], instance))

    def _use_value(self, entity_plan: EntityPlan, run: _Run, derivations: list, body: list,
                   start_time: str) -> tuple[str, str | None] | None:
        """Log the usage of a Python value identified by its digest alone (a ``by_value`` plan);
        return its id and id scheme, or None when nothing was logged.

        Does what the general path does (location and object checks, description, usage record,
        modification check, members) on the id and value, building an `Entity` only to describe it.
        """
        found = self._value_of(entity_plan, run, "usage")
        if found is None:
            return None
        value, owner, entity_id, scheme = found
        session = run.session
        last = self._objects.swap(value, entity_id, run.within)
        if owner is not None:
            last_here = self._locations.swap(owner, entity_plan.key, entity_id)
            if self.config.check_modified_inputs:
                run.inputs.append((entity_plan, entity_id, value))
        else:
            last_here = None
        if (last is not None and last[0] != entity_id) or (last_here is not None and last_here != entity_id):
            entity = self.entities.known(entity_plan, value, owner, entity_id, scheme)
            self._changed(session, entity, last, last_here, run.within, derivations, start_time)
        if entity_id not in session.described:
            self._describe(session, self.entities.known(entity_plan, value, owner, entity_id, scheme), body)
        body.append(USED_DIGEST % (run.activity_id, entity_id, entity_plan.used_tail))
        if entity_plan.members is not None:
            self._members(entity_plan.members, entity_id, run.scope, run.plan, session, body, progenitors=False)
        return entity_id, scheme

    def _argument_inputs(self, plan: ActivityPlan, scope: CallScope, run: _Run, values: dict, body: list,
                         derivations: list, start_time: str) -> None:
        session, activity_id = run.session, run.activity_id
        cfg = self.config
        if not (cfg.log_args or cfg.log_kwargs):
            return
        described = plan.described_arguments
        for name, value in scope.bound().items():
            if name in described:
                continue
            if not (cfg.log_args if scope.given_by_position(name) else cfg.log_kwargs):
                continue
            if type(value) in _SCALARS or not cfg.log_args_as_entities or self.secret(name):
                values[name] = value
                continue
            if is_parameter_value(value):
                values[name] = parameter_value(value)
                continue
            try:
                entity = self.entities.value(value, {"type": "PythonObject"}, f"args.{name}")
                self._check_location(session, entity, derivations, start_time, run.within)
                self._describe(session, entity, body)
            except Exception as exc:
                self._warn_once((plan.function, "argument", name),
                                f"activity {plan.name!r}: argument {name!r}: {type(exc).__name__}: {exc}; not logged")
                continue
            body.append(USED % (activity_id, quote(entity.id), fragment({"used_role": name})))

    def _end(self, run: _Run, result: Any, exc: BaseException | None) -> None:
        """Log the end of ``run`` (tracing suspended while the capture inspects the outputs)."""
        suspended = _SUSPENDED.set(True)
        try:
            self._finish(run, result, exc)
        finally:
            _SUSPENDED.reset(suspended)

    def _finish(self, run: _Run, result: Any, exc: BaseException | None) -> None:
        try:
            end_time = now()
            records: list[str] = []
            plan = run.plan
            if exc is None and plan is not None and (plan.generation or run.inputs or self.config.log_returned_result):
                try:
                    self._plan_outputs(run, result, records)
                except Exception as error:
                    self._internal_error(run.name, error)
            duration = round(_clock() - run.started, 6)
            if exc is None:
                records.append(END % (run.activity_id, end_time, duration))
            else:
                records.append(dumps({
                    "activity_id": run.activity_id, "endTime": end_time, "status": "failed", "duration": duration,
                    "exception_type": type(exc).__qualname__,
                    "exception_message": _exception_message(exc, self.config.value_length * 4, self.secret),
                }))
            self._running.pop(run.activity_id, None)
            try:
                batches = (run.pending.pop(), (end_time, records))
            except IndexError:
                batches = ((end_time, records),)
            self.writer.emit_texts(batches)
            if run.products and exc is None:
                self._embed_products(run)
        except Exception as error:
            self._internal_error(run.name, error)
        finally:
            if run.token is not None:
                try:
                    self._current.reset(run.token)
                except ValueError:
                    self._current.set(None)

    def log_files(self) -> list[str]:
        """Return the files the records of this capture are written to: those of its file
        handlers (`ProvFileHandler`, `logging.FileHandler` and their kind)."""
        return [handler.baseFilename for handler in self.logger.handlers
                if isinstance(getattr(handler, "baseFilename", None), str)]

    def embed(self, path: str | os.PathLike, sources: Iterable[str | os.PathLike] | None = None) -> Any:
        """Write the lineage of the file at ``path`` into it (see `logprov.embed`).

        Parameters
        ----------
        path : str or path
            A file an activity of this capture generated (or any file its logs know).
        sources : iterable of str or path, optional
            Logs to take the lineage from; by default the files this capture writes to.

        Returns
        -------
        logprov.Embedding
        """
        from ..products.embed import embed

        for handler in self.logger.handlers:
            handler.flush()
        return embed(path, self.log_files() if sources is None else sources)

    def _embed_products(self, run: _Run) -> None:
        """Embed the lineage of the FITS and HDF5 files ``run`` generated; a failure is one warning."""
        from ..products.contentid import looks_like_product

        for path in dict.fromkeys(run.products):
            try:
                with open(path, "rb") as stream:
                    if not looks_like_product(stream.read(16)):
                        continue
                self.embed(path)
            except Exception as exc:
                self._warn_once(("embed", path), f"activity {run.name!r}: cannot embed the lineage of {path}: {exc}")

    def _plan_outputs(self, run: _Run, result: Any, records: list) -> None:
        plan, scope, session = run.plan, run.scope, run.session
        scope.result = result
        generated: set[str] = set()
        for entity_plan in plan.generation:
            if entity_plan.by_value:
                self._generate_value(entity_plan, run, generated, records)
                continue
            entity = self._resolve_entity(entity_plan, scope, plan, "generation")
            if entity is None:
                continue
            if entity.id not in session.described:
                self._describe(session, entity, records)
            records.append(GENERATED % (run.activity_id, quote(entity.id), entity_plan.generated_tail))
            self._track(entity, run.within)
            if entity.track is not None and (entity_plan.embed or self.config.embed_products):
                run.products.append(entity.track[1])
            generated.add(entity.id)
            if entity_plan.members is not None or entity_plan.progenitors is not None:
                self._lists(entity_plan, entity.id, scope, plan, session, records)
        for entity_plan, used_id, used_value in run.inputs:
            self._modified_input(run, entity_plan, used_id, used_value, generated, records)
        if (
            self.config.log_returned_result
            and result is not None
            and result is not scope.instance
        ):
            collection = _returned_collection(result)
            buffers: dict | None = {} if collection else None
            entity = self.entities.value(result, {"type": "PythonObject"}, "result", buffers=buffers)
            if entity.id not in generated:
                self._describe(session, entity, records)
                records.append(GENERATED % (run.activity_id, quote(entity.id), ',"generated_role":"result"'))
                self._objects.set(result, entity.id, run.within)
                generated.add(entity.id)
                if collection:
                    self._result_items(run, result, entity.id, generated, records, buffers)

    def _result_items(self, run: _Run, result: Any, collection_id: str, generated: set, records: list,
                      buffers: dict | None) -> None:
        """Log each item of a returned tuple or list as an entity of its own, generated by the
        activity (role ``result[<index>]``) and a member of the returned collection; the data
        of an array the digest of the collection hashed (kept in ``buffers``) is not hashed again."""
        session, instance = run.session, run.scope.instance
        for index, item in enumerate(result):
            if item is None or item is instance:
                continue
            role = f"result[{index}]"
            try:
                entity = self.entities.value(item, {"type": "PythonObject"}, role, buffers=buffers)
            except Exception as exc:
                self._warn_once((run.plan.function, "result", index),
                                f"activity {run.name!r}: {role}: {type(exc).__name__}: {exc}; not logged")
                continue
            self._describe(session, entity, records)
            if entity.id not in generated:
                records.append(GENERATED % (run.activity_id, quote(entity.id), fragment({"generated_role": role})))
                generated.add(entity.id)
            records.append(dumps({"entity_id": collection_id, "member_id": entity.id, "in_session": session.id}))
            self._objects.set(item, entity.id, run.within)

    def _value_of(self, entity_plan: EntityPlan, run: _Run, relation: str) -> Optional[tuple]:
        """Return ``(value, owner, id, id scheme)`` of a ``by_value`` entity, or None when its
        value is None or cannot be found (warned about once, as a ``relation`` problem)."""
        try:
            value, owner = run.scope.resolve(entity_plan.value)
            if value is None:
                return None
            entity_id, scheme = self._digest(value)
        except Exception as exc:
            self._entity_problem(run.plan, entity_plan, relation, exc)
            return None
        return value, owner, entity_id, scheme

    def _generate_value(self, entity_plan: EntityPlan, run: _Run, generated: set, records: list) -> None:
        """Log the generation of a Python value identified by its digest alone (a ``by_value`` plan)."""
        found = self._value_of(entity_plan, run, "generation")
        if found is None:
            return
        value, owner, entity_id, scheme = found
        session = run.session
        if entity_id not in session.described:
            self._describe(session, self.entities.known(entity_plan, value, owner, entity_id, scheme), records)
        records.append(GENERATED_DIGEST % (run.activity_id, entity_id, entity_plan.generated_tail))
        if owner is not None:
            self._locations.set(owner, entity_plan.key, entity_id)
        self._objects.set(value, entity_id, run.within)
        generated.add(entity_id)
        if entity_plan.members is not None or entity_plan.progenitors is not None:
            self._lists(entity_plan, entity_id, run.scope, run.plan, session, records)

    def _lists(self, entity_plan: EntityPlan, entity_id: str, scope: CallScope, plan: ActivityPlan, session: _Session,
               records: list) -> None:
        """Log the members and progenitors of a generated entity."""
        if entity_plan.members is not None:
            self._members(entity_plan.members, entity_id, scope, plan, session, records, progenitors=False)
        if entity_plan.progenitors is not None:
            self._members(entity_plan.progenitors, entity_id, scope, plan, session, records, progenitors=True)

    def _modified_input(self, run: _Run, entity_plan: EntityPlan, used_id: str, used_value: Any, generated: set,
                        records: list) -> None:
        """Log the entity now at the place a used entity was read from, when it changed during the call."""
        if entity_plan.by_value:
            try:
                value, owner = run.scope.resolve(entity_plan.value)
                if value is None or (value is used_value and type(value) in _IMMUTABLE):
                    return
                entity_id, scheme = self._digest(value)
            except Exception as exc:
                self._warn_once((run.plan.function, "usage", entity_plan.role or entity_plan.key),
                                f"activity {run.plan.name!r}: usage {entity_plan.role or entity_plan.key!r}: "
                                f"{type(exc).__name__}: {exc}; not logged")
                return
            if entity_id == used_id or entity_id in generated:
                return
            entity = self.entities.known(entity_plan, value, owner, entity_id, scheme)
        else:
            if entity_plan.kind == OBJECT and entity_plan.value is not None and type(used_value) in _IMMUTABLE:
                try:
                    if run.scope.resolve(entity_plan.value)[0] is used_value:
                        return
                except Exception:
                    return
            entity = self._resolve_entity(entity_plan, run.scope, run.plan, "usage")
            if entity is None or entity.id == used_id or entity.id in generated:
                return
        session = run.session
        self._describe(session, entity, records)
        records.append(GENERATED % (run.activity_id, quote(entity.id), entity_plan.generated_tail))
        records.append(dumps({"entity_id": entity.id, "progenitor_id": used_id, "in_session": session.id,
                              "in_activity": run.activity_id}))
        self._track(entity, run.within)
        generated.add(entity.id)

    def _members(self, member_plan: EntityPlan, parent_id: str, scope: CallScope, plan: ActivityPlan, session: _Session, records: list, progenitors: bool) -> None:
        what = "has_progenitors" if progenitors else "has_members"
        if member_plan.value is None:
            return
        try:
            elements = scope.resolve(member_plan.value)[0]
        except LookupError as exc:
            self._warn_once((plan.function, what, member_plan.value.text), f"activity {plan.name!r}: {what} list: {exc}; not logged")
            return
        if elements is None:
            return
        try:
            items = list(elements)
        except TypeError:
            self._warn_once((plan.function, what, "iter"), f"activity {plan.name!r}: {what} list {member_plan.value.text!r} is not iterable")
            return
        if len(items) > _MAX_MEMBERS:
            self._warn_once((plan.function, what, "size"), f"activity {plan.name!r}: {what} list has {len(items)} elements; the first {_MAX_MEMBERS} are logged")
            items = items[:_MAX_MEMBERS]
        for element in items:
            try:
                member = self.entities.member(member_plan, element)
            except Exception as exc:
                self._warn_once((plan.function, what, "element"), f"activity {plan.name!r}: {what} element: {exc}; skipped")
                continue
            self._describe(session, member, records)
            if progenitors:
                records.append(dumps({"entity_id": parent_id, "progenitor_id": member.id, "in_session": session.id}))
            else:
                records.append(dumps({"entity_id": parent_id, "member_id": member.id, "in_session": session.id}))

    def _resolve_entity(self, entity_plan: EntityPlan, scope: CallScope, plan: ActivityPlan, what: str) -> Entity | None:
        try:
            return self.entities.resolve(entity_plan, scope)
        except Exception as exc:
            self._entity_problem(plan, entity_plan, what, exc)
            return None

    def _entity_problem(self, plan: ActivityPlan, entity_plan: EntityPlan, what: str, exc: Exception) -> None:
        """Warn (once) that the ``what`` (usage, generation) of ``entity_plan`` is not logged."""
        label = entity_plan.role or entity_plan.key
        problem = str(exc) if isinstance(exc, (LookupError, OSError)) else f"{type(exc).__name__}: {exc}"
        self._warn_once((plan.function, what, label), f"activity {plan.name!r}: {what} {label!r}: {problem}; not logged")

    # Entity bookkeeping

    def _describe(self, session: _Session, entity: Entity, records: list[str]) -> None:
        if entity.id in session.described:
            return
        records.append(dumps(entity.record(session.id)))
        session.described.add(entity.id)

    def _check_location(self, session: _Session, entity: Entity, derivations: list[str], time_found: str,
                        within: str | None) -> None:
        """Log a change of a used entity: another id than last logged at its place, or on its
        object (see `_changed`)."""
        last_here = self._locations.swap(entity.track[0], entity.track[1], entity.id) if entity.track is not None else None
        last = self._objects.swap(entity.value, entity.id, within) if entity.value is not None else None
        if (last is not None and last[0] != entity.id) or (last_here is not None and last_here != entity.id):
            self._changed(session, entity, last, last_here, within, derivations, time_found)

    def _changed(self, session: _Session, entity: Entity, last: tuple | None, last_here: str | None,
                 within: str | None, derivations: list[str], time_found: str) -> None:
        """Log ``entity`` as derived from what its object was (``last``: id and the activity it
        was logged inside) and from what was at its place (``last_here``).

        A change of an object logged earlier inside the same running activity happened in that
        activity (``in_activity``); any other change happened outside traced calls (``untraced``).
        """
        self._describe(session, entity, derivations)
        if last is not None and last[0] != entity.id:
            if within is not None and last[1] == within:
                derivations.append(dumps({"entity_id": entity.id, "progenitor_id": last[0], "in_session": session.id,
                                          "in_activity": within}))
            else:
                derivations.append(dumps({"entity_id": entity.id, "progenitor_id": last[0], "in_session": session.id,
                                          "generated_time": time_found, "untraced": True}))
        if last_here is not None and last_here != entity.id and (last is None or last_here != last[0]):
            derivations.append(dumps({"entity_id": entity.id, "progenitor_id": last_here, "in_session": session.id,
                                      "generated_time": time_found, "untraced": True}))

    def _track(self, entity: Entity, within: str | None) -> None:
        """Remember ``entity`` as the one now at its place and on its object."""
        if entity.track is not None:
            self._locations.set(entity.track[0], entity.track[1], entity.id)
        if entity.value is not None:
            self._objects.set(entity.value, entity.id, within)

    # Problems inside the capture

    def _warn_once(self, key: Any, message: str) -> None:
        if key in self._warned:
            return
        if len(self._warned) < 10000:
            self._warned.add(key)
        try:
            self.writer.warn(self.secret.redact_text(message))
        except Exception:
            pass

    def _internal_error(self, name: str | None, exc: Exception) -> None:
        self._warn_once(("internal", name, type(exc)), f"provenance of {name!r} incomplete: internal error {type(exc).__name__}: {exc}")


def _returned_collection(result: Any) -> bool:
    """Return True for a returned tuple or list of a few items whose items are entities of their
    own (``X, y = make_data()``): at most `_RESULT_ITEMS`, not all of them parameter-like
    values, and none of them the collection itself."""
    cls = type(result)
    if not (cls is tuple or cls is list) or not 0 < len(result) <= _RESULT_ITEMS:
        return False
    return not all(is_parameter_value(item) for item in result) and not any(item is result for item in result)


def _exception_message(exc: BaseException, limit: int, secrecy: SecrecyPolicy) -> str:
    try:
        text = str(exc)
    except Exception:
        text = f"<{type(exc).__name__}: str failed>"
    text = secrecy.redact_text(text[: limit * 4])
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _end_session_at_exit(ref: "weakref.ref[ProvCapture]") -> None:
    capture = ref()
    if capture is not None:
        try:
            capture._flusher.stop()
            capture._release_all()
            capture.end_session()
        except Exception:
            pass


_CAPTURES: "weakref.WeakSet[ProvCapture]" = weakref.WeakSet()


def _before_fork() -> None:
    for capture in list(_CAPTURES):
        capture._release_all()


def _after_fork_in_child() -> None:
    for capture in list(_CAPTURES):
        capture._running.clear()
        try:
            capture._follow_pid()
        except Exception:
            pass


os.register_at_fork(before=_before_fork, after_in_child=_after_fork_in_child)
