"""Flatten a session record into a few readable attributes of its session entity."""

from __future__ import annotations

from typing import Any

from prov.constants import PROV_TYPE
from prov.identifier import QualifiedName

from .ids import LOGPROV
from .values import AttributeValue, attribute_value, to_time

__all__ = ["SESSION_TYPE", "session_attributes"]

SESSION_TYPE = LOGPROV["Session"]
PACKAGES_LIMIT = 1000

Pair = tuple[QualifiedName, AttributeValue]

_TOP_LEVEL = (
    ("name", "name"),
    ("module", "module"),
    ("class", "class"),
    ("agent_name", "user"),
    ("logprov_version", "version"),
    ("hash_type", "hashType"),
)


def _mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _joined(*parts: Any) -> str:
    return " ".join(str(part) for part in parts if part not in (None, ""))


def session_attributes(data: dict) -> list[Pair]:
    """Return the attributes of the session entity described by a session record.

    Parameters
    ----------
    data : dict
        A session record (start or end), current or 0.0.2 shape.

    Returns
    -------
    list of (QualifiedName, value)
        ``prov:type logprov:Session`` and ``logprov:`` attributes: times, name, module, class,
        user, host, platform, python, executable, argv, cwd, pid, CPUs, memory, logprov version,
        git commit and packages.
    """
    pairs: list[Pair] = [(PROV_TYPE, SESSION_TYPE)]
    for key in ("startTime", "endTime"):
        moment = to_time(data.get(key))
        if moment is not None:
            pairs.append((LOGPROV[key], moment))
    for key, name in _TOP_LEVEL:
        if data.get(key) is not None:
            pairs.append((LOGPROV[name], attribute_value(data[key])))
    system = _mapping(data.get("system"))
    platform = _mapping(system.get("platform"))
    python = _mapping(system.get("python"))
    argv = system.get("argv", system.get("arguments"))
    found = {
        "host": platform.get("node"),
        "platform": _joined(platform.get("system"), platform.get("release"), platform.get("machine")),
        "python": _joined(python.get("version"), python.get("implementation")),
        "executable": system.get("executable"),
        "argv": " ".join(map(str, argv)) if isinstance(argv, (list, tuple)) else argv,
        "cwd": system.get("cwd"),
        "pid": system.get("pid"),
        "cpus": platform.get("num_cpus"),
        "memory": platform.get("memory_total"),
    }
    git = _mapping(data.get("git"))
    found["gitCommit"] = git.get("commit")
    found["gitDirty"] = git.get("dirty")
    packages = _mapping(data.get("packages"))
    if packages:
        found["packages"] = ", ".join(f"{name}={version}" for name, version in packages.items())
    for name, value in found.items():
        if value not in (None, ""):
            pairs.append((LOGPROV[name], attribute_value(value, PACKAGES_LIMIT)))
    return pairs
