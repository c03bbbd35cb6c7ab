"""What a session record says about the machine, the process, the code and its packages."""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import platform
import re
import subprocess
import sys
import threading
import weakref
from functools import lru_cache
from importlib import metadata
from typing import Any, Callable, Iterable

from ..records import keys as K
from ..records.lines import json_loads
from .flusher import start_thread
from .process import current_pid
from .secrecy import REDACTED, SecrecyPolicy

__all__ = [
    "system_info", "agent_name", "package_versions", "imported_modules", "distribution_map", "git_info",
    "physical_memory", "CodeFacts",
]

DEFAULT_ENV_VARS = (
    "CONDA_DEFAULT_ENV",
    "CONDA_PREFIX",
    "VIRTUAL_ENV",
    "PATH",
    "LD_LIBRARY_PATH",
    "PYTHONPATH",
    "HOME",
    "SHELL",
    "SLURM_JOB_ID",
    "SLURM_ARRAY_TASK_ID",
    "PBS_JOBID",
    "GAMMAPY_DATA",
    "CTAPIPE_SVC_PATH",
)


def agent_name() -> str:
    """Return the name of the user running the process, without ``os.getlogin()``."""
    try:
        return getpass.getuser()
    except Exception:
        uid = getattr(os, "getuid", None)
        return f"uid{uid()}" if uid else "unknown"


def environment(names: Iterable[str], secret: SecrecyPolicy) -> dict:
    """Return the set environment variables among ``names``: secret names hidden, secrets in
    the other values too (`SecrecyPolicy.redact_text`)."""
    found = {}
    for name in dict.fromkeys(names):
        value = os.environ.get(name)
        if value is not None:
            found[name] = REDACTED if secret(name) else secret.redact_text(value)
    return found


def system_info(env_names: Iterable[str], secret: SecrecyPolicy) -> dict:
    """Describe the machine, the Python interpreter and the process."""
    platform_info: dict[str, Any] = {
        "system": platform.system(),
        "release": platform.release(),
        "version": platform.version(),
        "machine": platform.machine(),
        "node": platform.node(),
    }
    platform_info["num_cpus"] = os.cpu_count()
    memory = physical_memory()
    if memory is not None:
        platform_info["memory_total"] = memory
    return {
        "executable": secret.redact_text(sys.executable),
        "argv": secret.redact_arguments(sys.argv),
        "cwd": secret.redact_text(os.getcwd()),
        "pid": os.getpid(),
        "platform": platform_info,
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "compiler": platform.python_compiler(),
        },
        "environment": environment(tuple(DEFAULT_ENV_VARS) + tuple(env_names), secret),
    }


def physical_memory() -> int | None:
    """Return the bytes of physical memory of the machine, or None when unknown.

    Read with ``sysconf`` where the system has it (the same total as
    ``psutil.virtual_memory().total``, without importing psutil, which takes milliseconds),
    else from psutil.
    """
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        pass
    try:
        import psutil

        return psutil.virtual_memory().total
    except Exception:
        return None


#: Version of the layout of the cached map of distributions.
_MAP_FORMAT = 1


def _cache_folder() -> str:
    """Folder of logprov's caches: ``$LOGPROV_CACHE``, else ``~/.cache/logprov``."""
    return os.environ.get("LOGPROV_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "logprov")


def _stamp(folders: Iterable[str]) -> list:
    """Return ``[folder, modification time]`` of each folder (installing or removing a
    distribution changes the time of the folder holding it)."""
    stamp = []
    for folder in sorted(folders):
        try:
            stamp.append([folder, os.stat(folder).st_mtime_ns])
        except OSError:
            stamp.append([folder, None])
    return stamp


def _top_level_names(dist: metadata.Distribution) -> set:
    """Top-level modules a distribution installs: its ``top_level.txt``, else the first parts
    of the paths of its files."""
    declared = dist.read_text("top_level.txt")
    if declared:
        return {line.strip() for line in declared.splitlines() if line.strip()}
    names = set()
    for file in dist.files or ():
        parts = file.parts
        if not parts or parts[0] in ("..", "__pycache__") or parts[0].endswith((".dist-info", ".egg-info", ".data")):
            continue
        first = parts[0]
        if len(parts) > 1:
            names.add(first)
        elif first.endswith((".py", ".so", ".pyd")):
            names.add(first.split(".", 1)[0])
    return names


def _canonical(name: str) -> str:
    """The normalised form of a distribution name (``PyYAML`` and ``pyyaml`` are one)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _scan_distributions() -> dict:
    """Return ``{"modules": {top module: [key, …]}, "distributions": {key: [name, version,
    [key of a required distribution, …]]}, "folders": [folder, …]}`` for every installed
    distribution, keyed by the normalised name, with the folders holding them."""
    modules: dict = {}
    distributions: dict = {}
    folders: set = set()
    for dist in metadata.distributions():
        try:
            folders.add(str(dist.locate_file("")))
            name = dist.metadata["Name"]
            if not name or _canonical(name) in distributions:
                continue
            key = _canonical(name)
            required = [_canonical(_requirement_name(r)) for r in dist.requires or () if "extra ==" not in r]
            distributions[key] = [name, dist.version, required]
            for top in _top_level_names(dist):
                modules.setdefault(top, []).append(key)
        except Exception:
            continue
    return {"modules": modules, "distributions": distributions, "folders": sorted(folders)}


def _map_path() -> str:
    """The cache file of the map of distributions of this interpreter and import path."""
    key = hashlib.blake2b(json.dumps([sys.executable, sys.prefix, sys.path]).encode("utf-8", "surrogatepass"),
                          digest_size=12).hexdigest()
    return os.path.join(_cache_folder(), f"distributions-{key}.json")


def _read_cached_map(path: str) -> dict | None:
    """Return the map kept in ``path`` while no folder holding distributions changed, else None."""
    try:
        with open(path, encoding="utf-8") as stream:
            cached = json_loads(stream.read())
        if cached.get("format") == _MAP_FORMAT and cached.get("stamp") == _stamp(cached["map"]["folders"]):
            return cached["map"]
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        pass
    return None


def cached_distribution_map() -> dict | None:
    """Return `distribution_map` when it is known without scanning the installed distributions
    (found before in this process, or in the cache file and still valid), else None."""
    if distribution_map.cache_info().currsize:
        return distribution_map()
    found = _read_cached_map(_map_path())
    if found is not None:
        _KNOWN_MAP.append(found)
        return distribution_map()
    return None


#: A map read by `cached_distribution_map`, handed over to `distribution_map` to keep.
_KNOWN_MAP: list = []


#: The import path the map of `distribution_map` was made for, as a one-item list.
_MAPPED_PATH: list = [None]


@lru_cache(maxsize=1)
def distribution_map() -> dict:
    """Return the map of installed distributions (see `_scan_distributions`), computed once per
    interpreter and environment: kept in a file of the cache folder, keyed by the interpreter
    and its import path, and read again while no folder holding distributions changed."""
    _MAPPED_PATH[0] = list(sys.path)
    if _KNOWN_MAP:
        return _KNOWN_MAP.pop()
    path = _map_path()
    cached = _read_cached_map(path)
    if cached is not None:
        return cached
    found = _scan_distributions()
    stamp = _stamp(found["folders"])
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        partial = f"{path}.{os.getpid()}.tmp"
        with open(partial, "w", encoding="utf-8") as stream:
            json.dump({"format": _MAP_FORMAT, "stamp": stamp, "map": found}, stream)
        os.replace(partial, path)
    except OSError:
        pass
    return found


@lru_cache(maxsize=4096)
def _named_distribution(name: str) -> tuple | None:
    """``(name, version, required)`` of the distribution called ``name``, or None."""
    try:
        dist = metadata.distribution(name)
    except (metadata.PackageNotFoundError, ValueError):
        return None
    required = tuple(_canonical(_requirement_name(r)) for r in dist.requires or () if "extra ==" not in r)
    return dist.metadata["Name"], dist.version, required


def _distribution_entry(key: str, distributions: dict) -> Any:
    """``[name, version, required]`` of the distribution called ``key`` (a module or
    distribution name), or None when it is not installed.

    Looked up in ``distributions`` (of `distribution_map`), which holds every distribution of
    the import path it was made for: a name it lacks is not installed there, and finding that
    out again with `_named_distribution` would list every folder of the path (milliseconds).
    After a change of the import path, a name missing from the map is looked up with
    `_named_distribution`.
    """
    entry = distributions.get(_canonical(key))
    if entry is None and _MAPPED_PATH[0] != sys.path:
        return _named_distribution(key)
    return entry


def _requirement_name(requirement: str) -> str:
    name = requirement
    for stop in " ;<>=!~[(":
        name = name.split(stop, 1)[0]
    return name.strip()


def _top_module(module: str) -> str | None:
    top = module.split(".", 1)[0]
    if not top or top.startswith("_") or top == "__main__" or top in sys.stdlib_module_names:
        return None
    return top


def imported_modules(names: Iterable[str] | None = None) -> list[str]:
    """Return the top-level modules imported in the process (or among the module ``names``),
    standard library left out."""
    modules = list(sys.modules) if names is None else names
    tops = {module.partition(".")[0] for module in modules}
    tops.difference_update(sys.stdlib_module_names)
    return sorted(top for top in tops if top and top[0] != "_")


def package_versions(modules: Iterable[str], dependencies: bool = True) -> dict:
    """Return the versions of the distributions providing ``modules`` and, with
    ``dependencies`` (for traced modules), of the distributions they require directly.

    A module is looked up in `distribution_map`; with ``dependencies``, a module missing there
    is also looked up as a distribution of the same name (an editable install the map cannot
    see through, say).
    """
    known = distribution_map()
    modules_map, distributions = known.get("modules", {}), known.get("distributions", {})
    versions: dict = {}
    required: list = []
    for top in dict.fromkeys(filter(None, map(_top_module, modules))):
        keys = modules_map.get(top)
        found = [distributions[key] for key in keys if key in distributions] if keys else []
        if not found and dependencies:
            named = _distribution_entry(top, distributions)
            found = [named] if named is not None else []
        for name, version, needs in found:
            versions[name] = version
            required.extend(needs)
    if dependencies:
        for key in required:
            entry = _distribution_entry(key, distributions)
            if entry is not None:
                versions.setdefault(entry[0], entry[1])
    return versions


def code_versions(traced: Iterable[str], imported: Iterable[str]) -> dict:
    """Versions of the distributions of the ``traced`` modules and their direct dependencies,
    and of the distributions of the ``imported`` modules (names of `sys.modules`)."""
    versions = package_versions(sorted(traced))
    for name, version in package_versions(imported_modules(imported), dependencies=False).items():
        versions.setdefault(name, version)
    return versions


def git_info(directory: str) -> dict | None:
    """Return the commit and dirty flag of the git work tree holding ``directory``, if any."""
    try:
        top = subprocess.run(
            ["git", "rev-parse", "--show-toplevel", "HEAD"],
            cwd=directory, capture_output=True, text=True, timeout=5, check=True,
        ).stdout.split()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=directory, capture_output=True, text=True, timeout=10, check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    if len(top) != 2:
        return None
    return {"path": top[0], "commit": top[1], "dirty": bool(status.strip())}


def calling_code_directory() -> str:
    """Return the directory of the main script, or the working directory."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    return os.path.dirname(os.path.abspath(path)) if path else os.getcwd()


#: Seconds to wait for facts still being looked up when a session ends or the process exits.
FACTS_WAIT = 30.0
#: Seconds to wait for them before the process forks (the child then knows them too).
FORK_WAIT = 5.0


class CodeFacts:
    """The versions of the distributions of a process's code and the git state of its work
    tree, looked up once per process: what is quick on the caller's thread (packages, when the
    map of distributions is cached), the rest (git, a scan of the distributions) on a thread of
    its own, which hands what it found to a callback.

    The thread is started by `start`, once the record the facts complete is written: while it
    runs Python code it holds the interpreter, which the traced call writing that record would
    otherwise wait for.

    Parameters
    ----------
    packages, git : bool
        Whether to look up the packages and the git state.
    traced : set of str
        The traced modules, a set the caller keeps adding to.
    """

    def __init__(self, packages: bool, git: bool, traced: set) -> None:
        self.wanted = ((K.PACKAGES,) if packages else ()) + ((K.GIT,) if git else ())
        self.traced = traced
        #: What was looked up: ``"packages"`` (dict) and ``"git"`` (dict, or None outside a work tree).
        self.found: dict = {}
        self._lock = threading.Lock()
        #: ``(process id, thread id, event set when done)`` of the last look-up.
        self._job: tuple[int, int, threading.Event] | None = None
        #: The arguments of the look-up `begin` prepared and `start` has not started, or None.
        self.prepared: tuple | None = None
        _ALL.add(self)

    def begin(self, deliver: Callable[[dict], None]) -> dict:
        """Return the facts known now, and prepare the look-up of the missing ones (started
        by `start`), which calls ``deliver`` with those it found (if any), unless a look-up is
        prepared or under way already."""
        with self._lock:
            missing = [name for name in self.wanted if name not in self.found]
            if K.PACKAGES in missing:
                try:
                    if cached_distribution_map() is not None:
                        self.found[K.PACKAGES] = code_versions(self.traced, list(sys.modules))
                        missing.remove(K.PACKAGES)
                except Exception:
                    pass
            known = {name: dict(value) for name, value in self.found.items() if value is not None}
            if missing and self.prepared is None and not self.running():
                self.prepared = (missing, set(self.traced), list(sys.modules), calling_code_directory(), deliver)
        return known

    def start(self) -> None:
        """Start the look-up `begin` prepared, on a thread of its own (nothing when none is)."""
        with self._lock:
            prepared, self.prepared = self.prepared, None
            if prepared is None:
                return
            done = threading.Event()
            ident = start_thread(self._look_up, *prepared, done)
            self._job = (current_pid(), ident, done)

    def running(self) -> bool:
        """Return True while a look-up started in this process is under way."""
        job = self._job
        return job is not None and job[0] == current_pid() and not job[2].is_set()

    def wait(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for a look-up under way to end (its facts delivered),
        starting the one prepared, if any."""
        if self.prepared is not None:
            self.start()
        job = self._job
        if job is not None and job[0] == current_pid() and job[1] != threading.get_ident():
            job[2].wait(timeout)

    def new_packages(self, module: str) -> dict:
        """Return the versions of the distributions ``module`` brings that were not known yet
        (remembered as known); empty while the packages are not looked up."""
        with self._lock:
            known = self.found.get(K.PACKAGES)
            if known is None:
                return {}
            new = {name: version for name, version in code_versions((module,), ()).items() if name not in known}
            known.update(new)
            return new

    def _look_up(self, missing: list, traced: set, imported: list, directory: str,
                 deliver: Callable[[dict], None], done: threading.Event) -> None:
        try:
            self._find(missing, traced, imported, directory, deliver)
        finally:
            done.set()

    def _find(self, missing: list, traced: set, imported: list, directory: str,
              deliver: Callable[[dict], None]) -> None:
        found: dict = {}
        try:
            if K.PACKAGES in missing:
                found[K.PACKAGES] = code_versions(traced, imported)
            if K.GIT in missing:
                found[K.GIT] = git_info(directory)
        except Exception:
            pass
        with self._lock:
            if K.PACKAGES in found:
                versions = found[K.PACKAGES]
                for module in sorted(self.traced - traced):
                    try:
                        for name, version in code_versions((module,), ()).items():
                            versions.setdefault(name, version)
                    except Exception:
                        pass
            self.found.update(found)
            facts = {name: dict(value) for name, value in found.items() if value}
        if facts:
            try:
                deliver(facts)
            except Exception:
                pass

    def _after_fork_in_child(self) -> None:
        self._lock = threading.Lock()
        self._job = None
        self.prepared = None


_ALL: "weakref.WeakSet[CodeFacts]" = weakref.WeakSet()


def _wait_before_fork() -> None:
    for facts in list(_ALL):
        facts.wait(FORK_WAIT)


def _reset_after_fork() -> None:
    for facts in list(_ALL):
        facts._after_fork_in_child()


os.register_at_fork(before=_wait_before_fork, after_in_child=_reset_after_fork)
