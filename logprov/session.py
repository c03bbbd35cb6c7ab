"""What a session record says about the machine, the process, the code and its packages."""

from __future__ import annotations

import getpass
import os
import platform
import subprocess
import sys
from functools import lru_cache
from importlib import metadata
from typing import Iterable

from .secrecy import REDACTED, SecrecyPolicy

__all__ = ["system_info", "agent_name", "package_versions", "git_info"]

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


@lru_cache(maxsize=1)
def _distributions_of_modules() -> dict:
    try:
        return metadata.packages_distributions()
    except Exception:
        return {}


def _distribution_names(top_module: str) -> tuple:
    """Names of the distributions installing ``top_module``: tried by name first, which avoids
    scanning every installed distribution in the common case."""
    try:
        metadata.distribution(top_module)
        return (top_module,)
    except metadata.PackageNotFoundError:
        return tuple(_distributions_of_modules().get(top_module, ()))


def _requirement_name(requirement: str) -> str:
    name = requirement
    for stop in " ;<>=!~[(":
        name = name.split(stop, 1)[0]
    return name.strip()


def package_versions(modules: Iterable[str]) -> dict:
    """Return versions of the distributions providing ``modules`` and of their direct dependencies."""
    versions: dict = {}
    for module in modules:
        top = module.split(".", 1)[0]
        if top in sys.stdlib_module_names or top == "__main__":
            continue
        for dist_name in _distribution_names(top):
            try:
                dist = metadata.distribution(dist_name)
            except metadata.PackageNotFoundError:
                continue
            versions[dist.metadata["Name"]] = dist.version
            for requirement in dist.requires or ():
                if "extra ==" in requirement:
                    continue
                try:
                    required = metadata.distribution(_requirement_name(requirement))
                except metadata.PackageNotFoundError:
                    continue
                versions.setdefault(required.metadata["Name"], required.version)
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
