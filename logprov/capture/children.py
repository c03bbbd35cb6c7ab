"""Capture in child processes: worker interpreters re-create the capture of their parent.

A followed capture (`follow_children`) writes what a child needs to re-create it (definitions,
configuration, log file, the classes given to ``trace_methods``) to a state file, and names
that file in the environment variable `ENV_VAR`, which child processes inherit. The start-up
hook installed with logprov (the `PTH_FILE` file in ``site-packages``) calls `start_child` in
every interpreter that starts with the variable set, and does nothing else otherwise.

Tasks handed to process pools (`concurrent.futures`, loky and joblib) and processes started
with `multiprocessing` carry the parent's session and activity to the child, where activities
with no traced caller of their own join that session with the parent's activity as their parent.

The parent side and the child side stay in one module, past 500 lines: both read and write the
one state file and share the patched process starts, which a split would spread over two.
"""

from __future__ import annotations

import atexit
import dataclasses
import functools
import importlib
import itertools
import json
import os
import site
import sys
import threading
import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Callable

from .process import INHERITED
from .tracedclasses import LOCK, traced_classes, when_traced

if TYPE_CHECKING:
    from .facade import ProvCapture

# The capture itself (`ProvCapture`, the default capture, the configuration) is imported where
# it is used: a child process started by a followed capture imports this module at start-up
# and reads the state file first, before its parent may be gone and the file with it.

__all__ = ["ENV_VAR", "PTH_FILE", "InParent", "follow_children", "hook_installed", "parent_context", "start_child",
           "when_imported"]

#: Environment variable naming the state file of the followed captures.
ENV_VAR = "LOGPROV_CHILD_STATE"
#: The start-up hook, installed at the top of ``site-packages``.
PTH_FILE = "logprov-children.pth"
_STATE_VERSION = 1
#: Modules whose process pools get tasks that carry the parent activity, and the pool class.
_POOLS = (
    ("concurrent.futures.process", "ProcessPoolExecutor"),
    ("joblib.externals.loky.process_executor", "ProcessPoolExecutor"),
    ("loky.process_executor", "ProcessPoolExecutor"),
)

_lock = LOCK
#: The followed captures, each with the key naming it in the state file.
_followed: "weakref.WeakKeyDictionary[ProvCapture, int]" = weakref.WeakKeyDictionary()
_keys = itertools.count()
_state_path: list[str] = []
_in_child = [False]
_child_captures: dict[int, ProvCapture] = {}
_applied: set[tuple[int, str, str]] = set()
_pending: list[Callable[[], None]] = []
_armed = [False]
_state_stamp: list[Any] = [None]
_waiting: dict[str, list[Callable[[Any], None]]] = {}
_patched = [False]


# Parent side


def _traced_a_class(capture: ProvCapture) -> None:
    """Write the state file again when a followed capture traced a new class (called with
    the lock held)."""
    if capture in _followed and not _in_child[0]:
        _write_state()


when_traced(_traced_a_class)


def follow_children(capture: ProvCapture | None = None) -> ProvCapture:
    """Re-create ``capture`` in the Python child processes started from now on.

    Worker interpreters started by `multiprocessing` (``spawn``, ``forkserver``),
    `concurrent.futures.ProcessPoolExecutor`, joblib/loky (scikit-learn's ``n_jobs``) and dask's
    process scheduler create the same capture at start-up (same definitions, configuration and
    log file), trace the classes given to ``trace_methods`` again when their module is imported,
    and log their activities in the parent's session, with the parent's activity in progress
    as their parent. Forked children need none of this: they are copies of the parent.

    Parameters
    ----------
    capture : ProvCapture, optional
        The capture to follow; by default the default capture (`logprov.configure`).

    Returns
    -------
    ProvCapture
        The followed capture.
    """
    if capture is None:
        from .default import get_capture

        capture = get_capture()
    with _lock:
        if capture not in _followed:
            _followed[capture] = next(_keys)
        if not _in_child[0]:
            _write_state()
        _patch_process_starts()
    if not hook_installed():
        capture.problems.warn_once(("children", "hook"), f"the start-up hook {PTH_FILE} is not installed in site-packages "
                           "(reinstall logprov with pip); child processes will not be captured")
    return capture


def hook_installed() -> bool:
    """Return True when the start-up hook is in one of the directories whose ``.pth`` files
    the interpreter reads at start-up."""
    directories = list(site.getsitepackages()) if hasattr(site, "getsitepackages") else []
    if site.ENABLE_USER_SITE:
        directories.append(site.getusersitepackages())
    return any(os.path.isfile(os.path.join(directory, PTH_FILE)) for directory in directories)


def _describe(capture: ProvCapture, key: int, is_default: bool) -> dict[str, Any]:
    """Return what a child needs to re-create ``capture``."""
    from ..handlers import ProvFileHandler
    from .logfiles import escape_braces

    config = capture.config
    fields = {item.name: getattr(config, item.name) for item in dataclasses.fields(config)}
    entities = capture.entities
    functions = {}
    for name, function in [*entities.id_functions.items(), (None, entities.file_id_function)]:
        if function is None:
            continue
        reference = _reference(function)
        if reference is None:
            what = f"id function of {name!r}" if name is not None else "file id function"
            capture.problems.warn_once(("children", "id", name), f"the {what} cannot be found by name in a child process "
                               "(define it at the top level of a module); children use content digests instead")
        else:
            functions["" if name is None else name] = reference
    files = [h.baseFilename for h in capture.logger.handlers if isinstance(h, ProvFileHandler)]
    log_file = capture._log_file
    if files and log_file is not None and files[0] == log_file[1]:
        fields["log_filename"] = log_file[0]
    elif files:
        fields["log_filename"] = escape_braces(files[0])
    else:
        fields["log_filename"] = None if config.log_filename is None else os.path.abspath(config.log_filename)
    return {
        "key": key,
        "definitions": capture.definitions.raw,
        "config": fields,
        "default": is_default,
        "id_functions": functions,
        "classes": traced_classes(capture),
    }


def _write_state() -> None:
    """Write the state file of the followed captures and name it in the environment."""
    from . import default

    captures = [_describe(capture, key, capture is default._default) for capture, key in list(_followed.items())]
    captures.sort(key=lambda described: described["key"])
    text = json.dumps({"version": _STATE_VERSION, "captures": captures}, default=_json_value)
    if not _state_path:
        import tempfile

        directory = tempfile.mkdtemp(prefix="logprov-children-")
        _state_path.append(os.path.join(directory, "state.json"))
        atexit.register(_remove_state, _state_path[0], os.getpid())
    path = _state_path[0]
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.replace(temporary, path)
    os.environ[ENV_VAR] = path


def _reference(function: Callable) -> str | None:
    """Return ``module:qualified name`` naming ``function`` in another process, or None."""
    module, qualname = getattr(function, "__module__", None), getattr(function, "__qualname__", "<")
    if not module or "<" in qualname or module not in sys.modules:
        return None
    target: Any = sys.modules[module]
    for name in qualname.split("."):
        target = getattr(target, name, None)
    return f"{module}:{qualname}" if target is function else None


def _resolve(reference: str) -> Callable:
    """Return the function named by a `_reference`, importing its module if needed."""
    module, _, qualname = reference.partition(":")
    target: Any = sys.modules.get(module) or importlib.import_module(module)
    for name in qualname.split("."):
        target = getattr(target, name)
    return target


def _json_value(value: Any) -> Any:
    """Return a JSON form of a value of the definitions or configuration that has none."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    return str(value)


def _remove_state(path: str, pid: int) -> None:
    if os.getpid() != pid:
        return
    try:
        os.remove(path)
        os.rmdir(os.path.dirname(path))
    except OSError:
        pass


def parent_context() -> tuple[str, str | None] | None:
    """Return ``(session id, activity id or None)`` for a child started now, or None.

    The activity is the innermost one in progress of a followed capture in this context; in a
    child with no activity of its own, the one it inherited; else the current session alone.
    """
    captures = list(_followed.keys())
    for capture in captures:
        run = capture.calls.current()
        if run is not None:
            return run.session.id, run.activity_id
    inherited = INHERITED.get()
    if inherited is not None:
        return inherited
    for capture in captures:
        session_id = capture.calls.sessions.announced_id
        if session_id is not None:
            return session_id, None
    return None


class InParent:
    """A task for a process pool, run in the child as part of the parent's activity ``context``.

    In a forked worker, which is a copy of the parent rather than a child that re-created its
    captures, the task runs as it is.
    """

    __slots__ = ("function", "context")

    def __init__(self, function: Callable, context: tuple[str, str | None]) -> None:
        self.function = function
        self.context = context

    def __reduce__(self) -> tuple:
        return InParent, (self.function, self.context)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not _in_child[0]:
            return self.function(*args, **kwargs)
        _arm()
        token = INHERITED.set((self.context[0], self.context[1]))
        try:
            return self.function(*args, **kwargs)
        finally:
            INHERITED.reset(token)


def _patch_process_starts() -> None:
    """Make started processes and submitted pool tasks carry the parent context (once)."""
    if _patched[0]:
        return
    _patched[0] = True
    import multiprocessing
    import multiprocessing.process as process

    original_start = process.BaseProcess.start

    @functools.wraps(original_start)
    def start(self: Any) -> None:
        method = self._start_method or multiprocessing.get_start_method()
        if method != "fork":
            context = parent_context()
            if context is not None:
                self._logprov_parent = context
        return original_start(self)

    setattr(process.BaseProcess, "start", start)
    for module_name, class_name in _POOLS:
        when_imported(module_name, functools.partial(_patch_submit, class_name))


def _patch_submit(class_name: str, module: Any) -> None:
    pool = getattr(module, class_name)
    original = pool.submit
    if getattr(original, "__logprov_children__", False):
        return

    @functools.wraps(original)
    def submit(self: Any, fn: Callable, /, *args: Any, **kwargs: Any) -> Any:
        context = parent_context()
        if _in_pool_thread():
            context = getattr(self, "_logprov_context", context)
        else:
            try:
                self._logprov_context = context
            except AttributeError:
                pass
        if context is not None and not isinstance(fn, InParent):
            fn = InParent(fn, context)
        return original(self, fn, *args, **kwargs)

    setattr(submit, "__logprov_children__", True)
    pool.submit = submit


def _in_pool_thread() -> bool:
    """Return True in the thread a process pool runs to collect results: work submitted there
    (joblib dispatching its next batches from a completion callback) belongs to the activity
    that submitted to the pool last from elsewhere."""
    return type(threading.current_thread()).__name__ == "_ExecutorManagerThread"


# Child side


def start_child() -> None:
    """Re-create the captures named by the state file in `ENV_VAR` (called by the start-up hook).

    A problem is reported on standard error and leaves the process uncaptured; it never stops it.
    """
    path = os.environ.get(ENV_VAR)
    if not path or _in_child[0]:
        return
    try:
        with _lock:
            _in_child[0] = True
            _apply_state(_read_state(path))
            _patch_bootstrap()
            _patch_process_starts()
    except Exception as exc:
        sys.stderr.write(f"logprov: child process not captured: state file {path}: {type(exc).__name__}: {exc}\n")


def _read_state(path: str) -> dict:
    with open(path, encoding="utf-8") as stream:
        stamp = os.fstat(stream.fileno())
        state = json.load(stream)
    _state_stamp[0] = (stamp.st_mtime_ns, stamp.st_size, stamp.st_ino)
    if not isinstance(state, dict) or state.get("version") != _STATE_VERSION:
        raise ValueError(f"not a logprov state file of version {_STATE_VERSION}")
    return state


def _refresh() -> None:
    """Apply the state file again when the parent changed it (a class traced since)."""
    if not _in_child[0]:
        return
    path = os.environ.get(ENV_VAR)
    if path is None:
        return
    try:
        stamp = os.stat(path)
    except OSError:
        return
    if (stamp.st_mtime_ns, stamp.st_size, stamp.st_ino) == _state_stamp[0]:
        return
    with _lock:
        try:
            _apply_state(_read_state(path))
        except Exception as exc:
            sys.stderr.write(f"logprov: state file {path}: {type(exc).__name__}: {exc}; not applied\n")


def _apply_state(state: dict) -> None:
    """Create the captures of ``state`` not created yet and trace their classes again."""
    from ..settings.config import load_config
    from . import default
    from .facade import ProvCapture

    for described in state["captures"]:
        key = described["key"]
        capture = _child_captures.get(key)
        if capture is None:
            capture = ProvCapture(described["definitions"] or None, load_config(described["config"]))
            _child_captures[key] = capture
            _followed[capture] = key
            if described.get("default"):
                default._default = capture
            _pending.append(functools.partial(_use_id_functions, capture, described.get("id_functions") or {}))
        for entry in described["classes"]:
            done = (key, entry["module"], entry["qualname"])
            if done in _applied or entry["module"] in ("__main__", "__mp_main__"):
                continue
            _applied.add(done)
            _pending.append(functools.partial(when_imported, entry["module"], functools.partial(_trace_again, capture, entry)))
    if _armed[0]:
        _trace_pending()


def _arm() -> None:
    """Trace the classes again from now on: called when the child starts its work, after
    `multiprocessing` imported the parent's main module again (whose own ``trace_methods``
    calls come first)."""
    _armed[0] = True
    _refresh()
    _trace_pending()


def _trace_pending() -> None:
    while _pending:
        _pending.pop(0)()


def _use_id_functions(capture: ProvCapture, references: dict) -> None:
    """Give ``capture`` the id functions of the parent's capture (found once the child works,
    when the main module of the parent is imported again)."""
    for name, reference in references.items():
        try:
            function = _resolve(reference)
        except Exception as exc:
            capture.problems.warn_once(("children", "id", name), f"id function {reference} not found in this child process: "
                               f"{type(exc).__name__}: {exc}; content digests used instead")
            continue
        if name:
            capture.entities.id_functions[name] = function
        else:
            capture.entities.file_id_function = function


def _trace_again(capture: ProvCapture, entry: dict, module: Any) -> None:
    """Apply ``trace_methods`` to the class of ``entry`` in ``module``, unless its methods are
    traced already (by the module's own code)."""
    try:
        cls = module
        for name in entry["qualname"].split("."):
            cls = getattr(cls, name)
        for attr in vars(cls).values():
            if getattr(getattr(attr, "__func__", attr), "__logprov_capture__", None) is not None:
                return
        capture.trace_methods(cls, include=entry["include"], exclude=entry["exclude"],
                              described_only=entry["described_only"], inherited=entry["inherited"])
    except Exception as exc:
        capture.problems.warn_once(("children", entry["module"], entry["qualname"]),
                           f"class {entry['module']}.{entry['qualname']} not traced in this child process: "
                           f"{type(exc).__name__}: {exc}")


def _patch_bootstrap() -> None:
    """Make a `multiprocessing` child run as part of the activity its parent started it in."""
    import multiprocessing.process as process

    original = getattr(process.BaseProcess, "_bootstrap")

    @functools.wraps(original)
    def _bootstrap(self: Any, *args: Any, **kwargs: Any) -> int:
        context = self.__dict__.pop("_logprov_parent", None)
        _arm()
        if context is not None:
            INHERITED.set((context[0], context[1]))
        result: int = original(self, *args, **kwargs)
        return result

    setattr(process.BaseProcess, "_bootstrap", _bootstrap)


# Running code after a module is imported


def when_imported(module_name: str, function: Callable[[Any], None]) -> None:
    """Call ``function(module)`` once module ``module_name`` is imported: now if it is, else
    right after it is executed."""
    module = sys.modules.get(module_name)
    if module is not None:
        function(module)
        return
    _waiting.setdefault(module_name, []).append(function)
    if not any(isinstance(finder, _AfterImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport())


def _imported(module_name: str, module: Any) -> None:
    for function in _waiting.pop(module_name, ()):
        try:
            function(module)
        except Exception as exc:
            sys.stderr.write(f"logprov: after importing {module_name}: {type(exc).__name__}: {exc}\n")


class _AfterImport:
    """A meta path finder that leaves finding to the others and has the loader of a module
    named in `_waiting` call `_imported` after executing it."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name not in _waiting:
            return None
        for finder in sys.meta_path:
            find_spec = getattr(finder, "find_spec", None)
            if finder is self or find_spec is None:
                continue
            spec = find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        exec_module = getattr(spec.loader, "exec_module", None)
        if exec_module is None or isinstance(spec.loader, type):
            return spec

        def exec_then_call(module: Any) -> None:
            exec_module(module)
            _imported(name, module)

        try:
            spec.loader.exec_module = exec_then_call
        except (AttributeError, TypeError):
            pass
        return spec
