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
from functools import lru_cache
from importlib import metadata
from typing import Iterable

from .secrecy import REDACTED, SecrecyPolicy

__all__ = ["system_info", "agent_name", "package_versions", "imported_modules", "distribution_map", "git_info"]

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
    platform_info = {
        "system": platform.system(),
        "release": platform.release(),
        "version": platform.version(),
        "machine": platform.machine(),
        "node": platform.node(),
    }
    try:
        import psutil

        platform_info["num_cpus"] = psutil.cpu_count()
        platform_info["memory_total"] = psutil.virtual_memory().total
    except Exception:
        platform_info["num_cpus"] = os.cpu_count()
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
            folders.add(os.fspath(dist.locate_file("")))
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


@lru_cache(maxsize=1)
def distribution_map() -> dict:
    """Return the map of installed distributions (see `_scan_distributions`), computed once per
    interpreter and environment: kept in a file of the cache folder, keyed by the interpreter
    and its import path, and read again while no folder holding distributions changed."""
    key = hashlib.blake2b(json.dumps([sys.executable, sys.prefix, sys.path]).encode("utf-8", "surrogatepass"),
                          digest_size=12).hexdigest()
    path = os.path.join(_cache_folder(), f"distributions-{key}.json")
    try:
        with open(path, encoding="utf-8") as stream:
            cached = json.load(stream)
        if cached.get("format") == _MAP_FORMAT and cached.get("stamp") == _stamp(cached["map"]["folders"]):
            return cached["map"]
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        pass
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


def imported_modules() -> list[str]:
    """Return the top-level modules imported in the process, standard library left out."""
    return sorted({top for top in map(_top_module, list(sys.modules)) if top is not None})


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
            named = _named_distribution(top)
            found = [named] if named is not None else []
        for name, version, needs in found:
            versions[name] = version
            required.extend(needs)
    if dependencies:
        for key in required:
            entry = distributions.get(key) or _named_distribution(key)
            if entry is not None:
                versions.setdefault(entry[0], entry[1])
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
