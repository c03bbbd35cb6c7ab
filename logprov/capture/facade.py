"""`ProvCapture`: trace functions and classes and log their provenance."""

from __future__ import annotations

import atexit
import copy
import functools
import inspect
import os
import warnings
import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Callable, Iterable, TypeVar, overload

from ..handlers import ProvFileHandler, ProvMemoryHandler, log_files, setup_logger
from ..settings.config import Config, load_config
from ..settings.definitions import Definitions, UnmatchedDefinitionWarning, load_definitions, unmatched_activities
from .calls import CallRecorder
from .containers import process_container
from .entities import EntityFactory
from .environment import agent_name
from .flusher import prepare_threads
from .jobs import current_job
from .logfiles import resolve_log_filename, uses_placeholder
from .manual import ActivityContext
from .plans import activity_plan, guess_scope
from .problems import Problems
from .tracedclasses import remember_traced_class
from .values import ValueWriter
from .writer import RecordWriter

if TYPE_CHECKING:
    from ..export.notebook import NotebookDocument
    from ..reading.reader import ProvRecord

__all__ = ["ProvCapture"]

F = TypeVar("F", bound=Callable[..., Any])
C = TypeVar("C", bound=type)


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
        cfg = config if isinstance(config, Config) else load_config(config)
        self.definitions: Definitions = load_definitions(definitions, cfg.max_definition_bytes)
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
        #: ``(absolute log_filename, the file it gives in this process)``, or None.
        self._log_file: tuple[str, str] | None = None
        if cfg.log_filename is not None:
            template = os.path.abspath(cfg.log_filename)
            self._log_file = (template, self._resolved(template))
        self.logger = setup_logger(cfg.logger_name, self._log_file[1] if self._log_file else None, cfg.logging)
        self.writer = RecordWriter(self.logger)
        self.enabled: bool = bool(cfg.capture)
        #: Where problems of the capture are reported (as warnings on its logger).
        self.problems = Problems(self.writer, self.secret)
        #: Writes the records of traced calls and blocks.
        self.calls = CallRecorder(cfg, self.definitions, self.secret, self.values, self.entities, self.writer,
                                  self.problems, cfg.agent_name or agent_name(), self._job, process_container())
        self._sessions = self.calls.sessions
        if self.enabled:
            prepare_threads()
        atexit.register(_end_session_at_exit, weakref.ref(self))
        _CAPTURES.add(self)

    @property
    def config(self) -> Config:
        """The configuration (see the configuration reference)."""
        return self.calls.config

    @config.setter
    def config(self, config: Config) -> None:
        self.calls.set_config(config)

    @property
    def agent_name(self) -> str:
        """The agent of the activities: the ``agent_name`` option, else the user running the process."""
        return self.calls.agent_name

    @agent_name.setter
    def agent_name(self, name: str) -> None:
        self.calls.agent_name = name

    def set_log_filename(self, log_filename: str | os.PathLike[str]) -> None:
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

        self.calls.release_all()
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
        return self.calls.note(text, attributes)

    # Sessions

    @property
    def session_id(self) -> str | None:
        """Id of the current session of this process, or None before the first activity."""
        return self._sessions.session_id

    def new_session(self) -> str:
        """End the current session (if any) and start a new one; return its id.

        The session record is written with the first activity of the new session.
        """
        return self._sessions.new()

    def end_session(self) -> None:
        """Write the end record of the current session of this process, if it has begun."""
        self._sessions.end()

    # Decorators

    @overload
    def trace(self, func: F, *, name: str | None = None, described_only: bool | None = None,
              version: str | None = None) -> F: ...

    @overload
    def trace(self, func: None = None, *, name: str | None = None, described_only: bool | None = None,
              version: str | None = None) -> Callable[[F], F]: ...

    def trace(self, func: Any = None, *, name: str | None = None, described_only: bool | None = None,
              version: str | None = None) -> Any:
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

    @overload
    def trace_methods(self, cls: C, *, include: Iterable[str] | None = None, exclude: Iterable[str] | None = None,
                      described_only: bool | None = None, inherited: bool = True) -> C: ...

    @overload
    def trace_methods(self, cls: None = None, *, include: Iterable[str] | None = None,
                      exclude: Iterable[str] | None = None, described_only: bool | None = None,
                      inherited: bool = True) -> Callable[[C], C]: ...

    def trace_methods(
        self,
        cls: Any = None,
        *,
        include: Iterable[str] | None = None,
        exclude: Iterable[str] | None = None,
        described_only: bool | None = None,
        inherited: bool = True,
    ) -> Any:
        """Trace the methods of a class, in place; usable as a class decorator.

        The class is inspected statically (its ``__dict__`` and those of its bases): no
        attribute of an instance is touched, properties are left alone, static and class methods
        stay static and class methods, and methods that a descriptor binds to instances only when
        they are available (scikit-learn's ``available_if``: ``Pipeline.predict``) are traced too.

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
                wrapped = self._wrap_attribute(attr_name, attr, described_only)
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

    def _wrap_attribute(self, name: str, attr: Any, described_only: bool) -> Any:
        if isinstance(attr, staticmethod):
            inner = self._wrap(attr.__func__, None, None, described_only)
            return attr if inner is attr.__func__ else staticmethod(inner)
        if isinstance(attr, classmethod):
            inner = self._wrap(attr.__func__, None, "cls", described_only)
            return attr if inner is attr.__func__ else classmethod(inner)
        if inspect.isfunction(attr):
            return self._wrap(attr, None, "self", described_only)
        held = _held_method(name, attr)
        if held is None:
            return None
        field, func = held
        inner = self._wrap(func, None, "self", described_only)
        if inner is func:
            return attr
        try:
            copied = copy.copy(attr)
            setattr(copied, field, inner)
        except Exception:
            return None
        return copied

    def _wrap(self, func: Callable[..., Any], name: str | None, scope: str | None, described_only: bool | None,
              version: str | None = None) -> Callable[..., Any]:
        if getattr(func, "__logprov_capture__", None) is self:
            return func
        plan = activity_plan(func, self.definitions, name, scope)
        if described_only is None:
            described_only = self.config.described_only
        if described_only and plan.description is None:
            return func
        self._sessions.traced(plan, func, version)
        capture = self
        begin, end = self.calls.begin, self.calls.end
        wrapped: Any

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                if not capture.enabled:
                    return await func(*args, **kwargs)
                run = begin(plan, args, kwargs)
                if run is None:
                    return await func(*args, **kwargs)
                try:
                    result = await func(*args, **kwargs)
                except BaseException as exc:
                    end(run, None, exc)
                    raise
                end(run, result, None)
                return result

            wrapped = async_wrapper
        else:

            @functools.wraps(func)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                if not capture.enabled:
                    return func(*args, **kwargs)
                run = begin(plan, args, kwargs)
                if run is None:
                    return func(*args, **kwargs)
                try:
                    result = func(*args, **kwargs)
                except BaseException as exc:
                    end(run, None, exc)
                    raise
                end(run, result, None)
                return result

            wrapped = wrapper
        wrapped.__logprov_capture__ = self
        return wrapped

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
        return ActivityContext(self, name, parameters)

    def add_input_file(self, path: str | os.PathLike[str], role: str | None = None) -> str | None:
        """Log a file used by the activity in progress; return its entity id."""
        return self.calls.log_entity(self.calls.current(), path, role, used=True, file=True)

    def add_output_file(self, path: str | os.PathLike[str], role: str | None = None) -> str | None:
        """Log a file generated by the activity in progress; return its entity id."""
        return self.calls.log_entity(self.calls.current(), path, role, used=False, file=True)

    # Products

    def log_files(self) -> list[str]:
        """Return the files the records of this capture are written to: those of its file
        handlers (`ProvFileHandler`, `logging.FileHandler` and their kind)."""
        return log_files(self.logger)

    def embed(self, path: str | os.PathLike[str], sources: Iterable[str | os.PathLike[str]] | None = None) -> Any:
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
        return self.calls.embed(path, sources)


def _end_session_at_exit(ref: "weakref.ref[ProvCapture]") -> None:
    capture = ref()
    if capture is not None:
        try:
            capture.calls.stop()
            capture.end_session()
        except Exception:
            pass


_CAPTURES: "weakref.WeakSet[ProvCapture]" = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for capture in list(_CAPTURES):
        try:
            capture._follow_pid()
        except Exception:
            pass


os.register_at_fork(after_in_child=_after_fork_in_child)


def _held_method(name: str, attr: Any) -> tuple[str, Callable[..., Any]] | None:
    """Return ``(field, function)`` when ``attr``, found under ``name`` in a class, is a method
    descriptor holding, in one public field, the plain function ``name`` it binds to instances
    (scikit-learn's ``available_if`` methods: ``Pipeline.predict``, ``Pipeline.score``), else
    None.

    Properties and other data descriptors, and ``functools.cached_property``, are left alone.
    """
    kind = type(attr)
    if (isinstance(attr, (property, functools.cached_property)) or not hasattr(kind, "__get__")
            or hasattr(kind, "__set__") or hasattr(kind, "__delete__")):
        return None
    try:
        fields = vars(attr)
    except TypeError:
        return None
    found = [(field, value) for field, value in fields.items()
             if not field.startswith("_") and inspect.isfunction(value) and value.__name__ == name]
    return found[0] if len(found) == 1 else None
