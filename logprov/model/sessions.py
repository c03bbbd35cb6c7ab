"""Flatten a session record into a few readable attributes of its session entity, and the job
and container image it names into an activity and an entity of their own."""

from __future__ import annotations

from typing import Any, Tuple

from prov.constants import PROV_LABEL, PROV_TYPE

from ..capture.jobs import job_label
from ..records import keys as K
from .identifiers import LOGPROV
from .literals import Pair, Record, attribute_value, to_time

__all__ = [
    "SESSION_TYPE", "JOB_TYPE", "IMAGE_TYPE", "IN_JOB", "IN_CONTAINER", "session_attributes", "Context",
    "session_context",
]

SESSION_TYPE = LOGPROV["Session"]
JOB_TYPE = LOGPROV["Job"]
IMAGE_TYPE = LOGPROV["ContainerImage"]
#: Types of the influences of a job and of a container image on a session.
IN_JOB = LOGPROV["inJob"]
IN_CONTAINER = LOGPROV["inContainer"]
PACKAGES_LIMIT = 1000

_TOP_LEVEL = (
    (K.NAME, "name"),
    (K.MODULE, "module"),
    (K.CLASS, "class"),
    (K.AGENT_NAME, "user"),
    (K.LOGPROV_VERSION, "version"),
    (K.HASH_TYPE, "hashType"),
)


_JOB_FIELDS = (
    ("system", "jobSystem"), ("id", "jobId"), ("array_job", "arrayJob"), ("array_index", "arrayIndex"),
    ("name", "jobName"), ("url", "jobUrl"), ("global_id", "globalJobId"),
)
_IMAGE_FIELDS = (("image", "image"), ("tag", "tag"), ("digest", "digest"), ("image_id", "imageId"),
                 ("source", "imageSource"))
_CONTAINER_FIELDS = (("runtime", "containerRuntime"), ("name", "containerName"), ("id", "containerId"))


def _mapping(value: Any) -> Record:
    return value if isinstance(value, dict) else {}


def _joined(*parts: Any) -> str:
    return " ".join(str(part) for part in parts if part not in (None, ""))


def session_attributes(data: Record) -> list[Pair]:
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
        git commit, packages, and the runtime, name and id of the container.
    """
    pairs: list[Pair] = [(PROV_TYPE, SESSION_TYPE)]
    for key in (K.START_TIME, K.END_TIME):
        moment = to_time(data.get(key))
        if moment is not None:
            pairs.append((LOGPROV[key], moment))
    for key, name in _TOP_LEVEL:
        if data.get(key) is not None:
            pairs.append((LOGPROV[name], attribute_value(data[key])))
    system = _mapping(data.get(K.SYSTEM))
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
    git = _mapping(data.get(K.GIT))
    found["gitCommit"] = git.get("commit")
    found["gitDirty"] = git.get("dirty")
    packages = _mapping(data.get(K.PACKAGES))
    if packages:
        found["packages"] = ", ".join(f"{name}={version}" for name, version in packages.items())
    container = _mapping(data.get(K.CONTAINER))
    for key, name in _CONTAINER_FIELDS:
        found[name] = container.get(key)
    for name, value in found.items():
        if value not in (None, ""):
            pairs.append((LOGPROV[name], attribute_value(value, PACKAGES_LIMIT)))
    return pairs


#: A job or container image of a session: its key (the local part of its identifier, before
#: `logprov.model.identifiers.local_part`) and its attributes.
Context = tuple[str, list[Pair]]


def _pairs(data: Record, fields: Tuple[Tuple[str, str], ...]) -> list[Pair]:
    return [(LOGPROV[name], attribute_value(data[key])) for key, name in fields if data.get(key) not in (None, "")]


def _job(data: Record) -> Context | None:
    job = _mapping(data.get(K.JOB))
    label = job_label(job)
    if not label:
        return None
    key = f"{job.get('system') or 'job'}.{label}"
    return key, [(PROV_TYPE, JOB_TYPE), (PROV_LABEL, f"{job.get('system') or 'job'} {label}"), *_pairs(job, _JOB_FIELDS)]


def _image(data: Record) -> Context | None:
    container = _mapping(data.get(K.CONTAINER))
    identity = container.get("digest") or container.get("image_id")
    if identity:
        key = str(identity).replace(":", ".", 1)
    elif container.get("image"):
        key = str(container["image"]) + (f":{container['tag']}" if container.get("tag") else "")
    else:
        return None
    name = str(container.get("image") or identity)
    label = name + (f":{container['tag']}" if container.get("tag") else "")
    return key, [(PROV_TYPE, IMAGE_TYPE), (PROV_LABEL, label), *_pairs(container, _IMAGE_FIELDS)]


def session_context(data: Record) -> tuple[Context | None, Context | None]:
    """Return the job and the container image a session record names.

    The job is an activity (``prov:type logprov:Job``) keyed ``<system>.<label>``
    (``slurm.123456_7``, see `logprov.capture.jobs.job_label`), with ``logprov:jobSystem``,
    ``logprov:jobId``, ``logprov:arrayJob``, ``logprov:arrayIndex``, ``logprov:jobName``,
    ``logprov:jobUrl`` and ``logprov:globalJobId`` when known. The image is an entity
    (``prov:type logprov:ContainerImage``) keyed by its digest (or image id), else by its
    name and tag, with ``logprov:image``, ``logprov:tag``, ``logprov:digest``,
    ``logprov:imageId`` and ``logprov:imageSource`` when known.
    """
    return _job(data), _image(data)
