"""ctapipe and cta-lstchain provenance activities as logprov records.

A ctapipe ``Tool`` writes ``Provenance().as_json()`` to its provenance log: a JSON list of
activities, appended to the file by every run (the file then holds several arrays one after the
other, ``][`` between them). cta-lstchain writes the same activity dictionaries as JSON strings
into the datasets of the ``/provenance`` group of its HDF5 outputs, one per stage. Each activity
becomes the records logprov itself writes (see ``docs/records.md``): a session holding the
activity's system information, the activity, its configuration as parameters, and its input and
output files as used and generated file entities. The PROV mapping then follows from
`logprov.model` as for any log.

A file an activity names is identified by its content when it exists when the provenance is
read (``file:<digest>`` with the hash logprov uses, so it is the entity a logprov session reading
or writing the same content logs; see `logprov.ctapipe.joins` for the hash type), else by its path (``path:<absolute path>``); a remote file by
its URL (``url:<url>``, passwords hidden). The entity's ``identified_by`` says which.
"""

from __future__ import annotations

import datetime
import json
import os
import uuid
from typing import Any, Iterator

from ..capture.identity import FileHasher
from ..capture.secrecy import REDACTED, SecrecyPolicy
from ..records.keys import (
    ACTIVITY_ID, AGENT_NAME, CLASS, DURATION, END_TIME, ENTITY_ID, EXIT_CODE, GENERATED_ID, GENERATED_ROLE, HASH,
    HASH_TYPE, IDENTIFIED_BY, IN_SESSION, LOCATION, MODULE, NAME, PACKAGES, PARAMETERS, PRODUCT_ID, REFERENCE_META,
    SESSION_ID, SIZE, START_TIME, STATUS, SYSTEM, TYPE, USED_ID, USED_ROLE,
)

__all__ = [
    "SESSION_NAMESPACE",
    "UNKNOWN_AGENT",
    "CtapipeRecords",
    "activity_records",
    "looks_like_log",
    "split_arrays",
]

#: Namespace of the session ids made from ctapipe activity UUIDs (`uuid.uuid5`).
SESSION_NAMESPACE = uuid.UUID("6d1b3c7e-1c1e-5c55-9e0f-637461706970")
#: The agent of an activity whose environment names no user (``USER``, ``LOGNAME``).
UNKNOWN_AGENT = "unknown"
_STATUS = {"completed": "success", "success": "success", "error": "failed", "failed": "failed"}
_PRODUCT_ID = "CTA PRODUCT ID"
#: Keys of ctapipe's activity dictionaries spelled like keys of logprov records, named here
#: so that they are not taken for those: ctapipe's format is its own.
_CTA_SYSTEM, _CTA_CONFIG, _CTA_STATUS, _CTA_EXIT_CODE, _CTA_NAME, _CTA_PACKAGES, _CTA_REFERENCE_META = (
    "system", "config", "status", "exit_code", "name", "packages", "reference_meta",
)
#: The operating system's name in the ``platform`` facts of a session's ``system``.
_PLATFORM_SYSTEM = "system"
_DECODER = json.JSONDecoder()


def looks_like_log(head: bytes) -> bool:
    """Return True when ``head``, the start of a file, looks like a ctapipe provenance log: a
    JSON array whose first object starts with ``"activity_name"``."""
    text = head.decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    if not text.startswith("["):
        return False
    text = text[1:].lstrip()
    return text.startswith("{") and text[1:].lstrip().startswith('"activity_name"')


def split_arrays(text: str, name: str = "<text>") -> Iterator[tuple[int, list]]:
    """Yield ``(line, array)`` for each JSON array of a ctapipe provenance log, ``line`` the
    1-based line where it starts.

    Raises
    ------
    ValueError
        Naming ``name`` and the line, when the text is not a sequence of JSON arrays.
    """
    position, line, end = 0, 1, len(text)
    while True:
        start = position
        while position < end and text[position] in " \t\r\n\ufeff":
            position += 1
        line += text.count("\n", start, position)
        if position >= end:
            return
        try:
            value, after = _DECODER.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{name}:{exc.lineno}: not a ctapipe provenance log: {exc.msg}") from None
        if not isinstance(value, list):
            raise ValueError(f"{name}:{line}: not a ctapipe provenance log: a JSON {type(value).__name__}, not a list")
        yield line, value
        line += text.count("\n", position, after)
        position = after


def _utc(text: Any) -> str | None:
    """Return a ctapipe time (ISO, UTC, naive) as an ISO time with its UTC offset."""
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.isoformat(timespec="microseconds")


def _pruned(record: dict, depth: int = 0) -> dict:
    """Return ``record`` without its ``None`` values (absent values are left out), those of its
    ``system`` mapping included; parameter values stay as the configuration has them."""
    return {key: _pruned(value, depth + 1) if isinstance(value, dict) and (depth or key == SYSTEM) else value
            for key, value in record.items() if value is not None}


def _mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


class CtapipeRecords:
    """Turn ctapipe activity dictionaries into logprov records.

    Parameters
    ----------
    hasher : FileHasher
        Hashes the files that exist (its ``hash_type`` is the configured one).
    secrecy : SecrecyPolicy
        Hides secret configuration values, environment variables and arguments.
    """

    def __init__(self, hasher: FileHasher, secrecy: SecrecyPolicy) -> None:
        self.hasher = hasher
        self.secrecy = secrecy

    def records(self, activity: dict) -> list[tuple[str, dict]]:
        """Return the ``(timestamp, record)`` pairs of one ctapipe activity.

        Raises
        ------
        ValueError
            If ``activity`` is not a mapping with an ``activity_uuid`` and a start time.
        """
        if not isinstance(activity, dict):
            raise ValueError(f"an activity is a JSON object, not a {type(activity).__name__}")
        activity_id = activity.get("activity_uuid")
        start = _utc(_mapping(activity.get("start")).get("time_utc"))
        if not isinstance(activity_id, str) or not activity_id or start is None:
            raise ValueError("an activity needs activity_uuid and start.time_utc")
        end = _utc(_mapping(activity.get("stop")).get("time_utc"))
        session_id = str(uuid.uuid5(SESSION_NAMESPACE, activity_id))
        name = str(activity.get("activity_name") or "ctapipe")
        system = _mapping(activity.get(_CTA_SYSTEM))
        environment = _mapping(system.get("environment"))
        agent = environment.get("USER") or environment.get("LOGNAME") or UNKNOWN_AGENT
        config = _mapping(activity.get(_CTA_CONFIG))
        session = self._session(session_id, name, start, end, system, config)
        session[AGENT_NAME] = str(agent)
        head = {ACTIVITY_ID: activity_id, NAME: name, START_TIME: start, IN_SESSION: session_id, AGENT_NAME: str(agent)}
        first: list[dict] = [session, head]
        parameters = self._parameters(config)
        if parameters:
            first.append({ACTIVITY_ID: activity_id, PARAMETERS: parameters})
        for item in activity.get("input") or ():
            first.extend(self._file(item, activity_id, session_id, USED_ID, USED_ROLE))
        pairs = [(start, record) for record in first]
        if end is None:
            return [(time, _pruned(record)) for time, record in pairs]
        last: list[dict] = []
        for item in activity.get("output") or ():
            last.extend(self._file(item, activity_id, session_id, GENERATED_ID, GENERATED_ROLE))
        closing: dict[str, Any] = {ACTIVITY_ID: activity_id, END_TIME: end}
        status = activity.get(_CTA_STATUS)
        closing[STATUS] = _STATUS.get(status, status) if isinstance(status, str) else "success"
        if isinstance(activity.get("duration_min"), (int, float)):
            closing[DURATION] = activity["duration_min"] * 60.0
        if type(activity.get(_CTA_EXIT_CODE)) is int:
            closing[EXIT_CODE] = activity[_CTA_EXIT_CODE]
        last.append(closing)
        return [(time, _pruned(record)) for time, record in pairs + [(end, record) for record in last]]

    def _session(self, session_id: str, name: str, start: str, end: str | None, system: dict, config: dict) -> dict:
        platform = _mapping(system.get("platform"))
        python = _mapping(system.get("python"))
        version = python.get("version_string")
        packages = {}
        for package in python.get(_CTA_PACKAGES) or ():
            if isinstance(package, dict) and package.get(_CTA_NAME):
                packages[str(package[_CTA_NAME])] = str(package.get("version"))
        if system.get("ctapipe_version"):
            packages.setdefault("ctapipe", str(system["ctapipe_version"]))
        secrecy = self.secrecy
        environment = {
            key: REDACTED if secrecy(key) else secrecy.redact_text(str(value))
            for key, value in _mapping(system.get("environment")).items() if value is not None
        }
        arguments = system.get("arguments")
        record: dict[str, Any] = {
            SESSION_ID: session_id,
            START_TIME: start,
            NAME: name,
            MODULE: "ctapipe",
            SYSTEM: {
                "executable": system.get("executable"),
                "argv": secrecy.redact_arguments(map(str, arguments)) if isinstance(arguments, list) else None,
                "platform": {
                    _PLATFORM_SYSTEM: platform.get(_PLATFORM_SYSTEM), "release": platform.get("release"),
                    "machine": platform.get("machine"), "node": platform.get("node"),
                    "num_cpus": platform.get("n_cpus"),
                },
                "python": {
                    "version": version.split()[0] if isinstance(version, str) and version else None,
                    "implementation": python.get("implementation"),
                },
                "environment": environment,
            },
            PACKAGES: packages,
        }
        tools = [key for key, value in config.items() if isinstance(value, dict)]
        if len(tools) == 1:
            record[CLASS] = tools[0]
        if end is not None:
            record[END_TIME] = end
        return record

    def _parameters(self, config: dict) -> dict:
        """Flatten ``config`` into ``{"trait": value, "Component.trait": value}``, secrets hidden.

        The configuration of a Tool is the single mapping under its class name (the session's
        ``class``); its traits are named without it. A configuration of several top-level
        entries keeps every name whole.
        """
        flat: dict[str, Any] = {}
        if len(config) == 1 and isinstance(next(iter(config.values())), dict):
            (tool, config), = config.items()
            hidden = self.secrecy(str(tool))
        else:
            hidden = False
        stack: list[tuple[str, dict, bool]] = [("", config, hidden)]
        while stack:
            prefix, mapping, hidden = stack.pop()
            for key, value in mapping.items():
                name = f"{prefix}{key}"
                secret = hidden or self.secrecy(str(key))
                if isinstance(value, dict) and value:
                    stack.append((name + ".", value, secret))
                else:
                    flat[name] = REDACTED if secret else self._shown(value)
        return dict(sorted(flat.items()))

    def _shown(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.secrecy.redact_text(value)
        if isinstance(value, list):
            return [self._shown(item) for item in value]
        if isinstance(value, dict):
            return {key: REDACTED if self.secrecy(str(key)) else self._shown(item) for key, item in value.items()}
        return value

    def _file(self, item: Any, activity_id: str, session_id: str, id_key: str, role_key: str) -> list[dict]:
        """Return the entity record and the usage or generation record of one input or output
        (``id_key`` and ``role_key``: `USED_ID` and `USED_ROLE`, or those of a generation)."""
        if not isinstance(item, dict) or not isinstance(item.get("url"), str) or not item["url"]:
            return []
        url = item["url"]
        path = url[len("file://"):] if url.startswith("file://") else url
        remote = "://" in path
        path = self.secrecy.redact_text(path) if remote else os.path.abspath(path)
        entity: dict[str, Any] = {ENTITY_ID: "", IN_SESSION: session_id, TYPE: "File", LOCATION: path}
        try:
            digest = None if remote or not os.path.isfile(path) else self.hasher.file(path)
        except OSError:
            digest = None
        if digest is None:
            scheme = "url" if remote else "path"
            entity[ENTITY_ID] = f"{scheme}:{path}"
            entity[IDENTIFIED_BY] = scheme
        else:
            entity.update({ENTITY_ID: digest.entity_id, HASH: digest.digest, HASH_TYPE: digest.hash_type,
                           SIZE: digest.size, IDENTIFIED_BY: "content"})
        meta = item.get(_CTA_REFERENCE_META)
        if isinstance(meta, dict) and meta:
            entity[REFERENCE_META] = self._shown(meta)
            if meta.get(_PRODUCT_ID):
                entity[PRODUCT_ID] = str(meta[_PRODUCT_ID])
        relation: dict[str, Any] = {ACTIVITY_ID: activity_id, id_key: entity[ENTITY_ID]}
        if item.get("role") is not None:
            relation[role_key] = str(item["role"])
        return [entity, relation]


def activity_records(activity: dict, hash_type: str = "sha256", secrecy: SecrecyPolicy | None = None) -> list[tuple[str, dict]]:
    """Return the ``(timestamp, record)`` pairs of one ctapipe activity dictionary.

    Parameters
    ----------
    activity : dict
        One element of ``Provenance().provenance``.
    hash_type : str
        Algorithm of the file digests.
    secrecy : SecrecyPolicy, optional
        The secrecy policy (default: that of the default configuration).
    """
    if secrecy is None:
        from ..settings.config import Config

        secrecy = Config().secrecy
    return CtapipeRecords(FileHasher(hash_type), secrecy).records(activity)
