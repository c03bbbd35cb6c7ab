"""The container a process runs in, as far as it can be seen from inside: Apptainer and
Singularity from their variables, Podman from ``/run/.containerenv``, Docker from
``/.dockerenv`` and the mounts; image name, tag and digest where the runtime shows them."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from functools import lru_cache

__all__ = ["RUNTIMES", "CONTAINER_KEYS", "IMAGE_VARIABLE", "container_info", "process_container", "split_image"]

#: The runtimes a container record names.
RUNTIMES = ("docker", "podman", "apptainer", "singularity")
#: Keys of a container record, in the order they are written.
CONTAINER_KEYS = ("runtime", "image", "tag", "digest", "image_id", "name", "id")
#: Variable that gives the image reference when the runtime does not show it (Docker): set it
#: in the image (``ENV``) or when starting the container (``docker run -e``).
IMAGE_VARIABLE = "LOGPROV_CONTAINER_IMAGE"
#: Largest file read by the detection (the files read are a few hundred bytes).
READ_BYTES = 1 << 16

DOCKERENV = "/.dockerenv"
CONTAINERENV = "/run/.containerenv"
MOUNTINFO = "/proc/self/mountinfo"
CGROUP = "/proc/self/cgroup"
APPTAINER_LABELS = "/.singularity.d/labels.json"

_CONTAINERENV_LINE = re.compile(r'^(\w+)="?(.*?)"?$', re.MULTILINE)
#: Container ids in the source of the files a runtime mounts into its containers (mount
#: points listed in `_RUNTIME_MOUNTS`), and in the control group of the process.
_DOCKER_ID = re.compile(r"/containers/([0-9a-f]{64})/|/docker[-/]([0-9a-f]{64})")
_PODMAN_ID = re.compile(r"/overlay-containers/([0-9a-f]{64})/|libpod-([0-9a-f]{64})")
_RUNTIME_MOUNTS = frozenset({"/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/run/.containerenv"})
_DIGEST = re.compile(r"[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}")
#: Labels of an Apptainer image built from another image (``Bootstrap: docker``, ``From: …``).
_SOURCE_LABELS = ("org.label-schema.usage.singularity.deffile.from", "org.label-schema.usage.apptainer.deffile.from")


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as stream:
            return stream.read(READ_BYTES)
    except (OSError, ValueError):
        return None


def _hints(mountinfo: str, cgroup: str) -> str:
    """The sources of the files runtimes mount into a container (one a line), and the control
    groups of the process: where a container id shows. Other mounts are left out, since the
    host's own mounts also list the containers it runs."""
    mounts = _read(mountinfo) or ""
    sources = []
    for line in mounts.splitlines():
        fields = line.split(" ", 5)
        if len(fields) > 4 and fields[4] in _RUNTIME_MOUNTS:
            sources.append(fields[3])
    return "\n".join(sources) + "\n" + (_read(cgroup) or "")


def split_image(reference: str) -> dict:
    """Split an image reference ``[registry/]name[:tag][@digest]`` into ``image``, ``tag`` and
    ``digest`` (a registry port, ``host:5000/name``, is not a tag)."""
    found: dict = {}
    name, _, digest = reference.strip().partition("@")
    if digest:
        found["digest"] = digest
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name, found["tag"] = name[:colon], name[colon + 1:]
    found["image"] = name
    return {key: value for key, value in found.items() if value}


def _with_image(found: dict, reference: str | None) -> dict:
    if reference:
        for key, value in split_image(reference).items():
            found.setdefault(key, value)
    return found


def _apptainer(environ: Mapping[str, str], labels: str) -> dict | None:
    for runtime, prefix in (("apptainer", "APPTAINER"), ("singularity", "SINGULARITY")):
        path = environ.get(f"{prefix}_CONTAINER")
        if path:
            found = {"runtime": runtime, "image": path}
            if environ.get(f"{prefix}_NAME"):
                found["name"] = environ[f"{prefix}_NAME"]
            text = _read(labels)
            try:
                data = json.loads(text) if text else {}
            except ValueError:
                data = {}
            source = next((data[key] for key in _SOURCE_LABELS if isinstance(data, dict) and data.get(key)), None)
            if isinstance(source, str):
                found["source"] = source
            return found
    return None


def _podman(environ: Mapping[str, str], containerenv: str, hints: str) -> dict | None:
    text = _read(containerenv)
    if text is None and environ.get("container") != "podman":
        return None
    fields = dict(_CONTAINERENV_LINE.findall(text or ""))
    found: dict = {"runtime": "podman"}
    _with_image(found, fields.get("image"))
    if fields.get("imageid"):
        found["image_id"] = fields["imageid"] if ":" in fields["imageid"] else f"sha256:{fields['imageid']}"
    if fields.get("name"):
        found["name"] = fields["name"]
    match = _PODMAN_ID.search(hints)
    container_id = fields.get("id") or (match and (match.group(1) or match.group(2)))
    if container_id:
        found["id"] = container_id
    return found


def _docker(environ: Mapping[str, str], dockerenv: str, hints: str) -> dict | None:
    match = _DOCKER_ID.search(hints)
    if not (os.path.exists(dockerenv) or match or environ.get("container") == "docker"):
        return None
    found: dict = {"runtime": "docker"}
    if match:
        found["id"] = match.group(1) or match.group(2)
    return found


def container_info(
    environ: Mapping[str, str] | None = None,
    *,
    dockerenv: str = DOCKERENV,
    containerenv: str = CONTAINERENV,
    mountinfo: str = MOUNTINFO,
    cgroup: str = CGROUP,
    labels: str = APPTAINER_LABELS,
) -> dict | None:
    """Return the container the process runs in, or None when it is seen to run in none.

    Parameters
    ----------
    environ : mapping, optional
        The environment (by default `os.environ`).
    dockerenv, containerenv, mountinfo, cgroup, labels : str
        The files looked at (the defaults are where the runtimes put them).

    Returns
    -------
    dict or None
        ``{"runtime", "image", "tag", "digest", "image_id", "name", "id", "source"}``, the keys
        that are known: ``runtime`` always, ``image`` the image file for Apptainer and
        Singularity (``source`` the image it was built from, when its labels say), the image
        reference of ``/run/.containerenv`` for Podman (written there for containers run with
        ``--privileged``), the reference in `IMAGE_VARIABLE` otherwise; ``id`` the container id
        found in the mounts.

    Notes
    -----
    Reads a few small files and the environment, and never raises: a file that cannot be read
    is taken as absent.
    """
    try:
        environ = os.environ if environ is None else environ
        found = _apptainer(environ, labels)
        if found is None:
            hints = _hints(mountinfo, cgroup)
            found = _podman(environ, containerenv, hints) or _docker(environ, dockerenv, hints)
        if found is None:
            return None
        _with_image(found, environ.get(IMAGE_VARIABLE))
        if "digest" in found and not _DIGEST.fullmatch(found["digest"]):
            del found["digest"]
        return {key: found[key] for key in (*CONTAINER_KEYS, "source") if found.get(key)}
    except Exception:
        return None


@lru_cache(maxsize=1)
def process_container() -> dict | None:
    """Return `container_info` of this process, looked up once (a process does not change
    container; reading the files under ``/proc`` takes a tenth of a millisecond)."""
    return container_info()
