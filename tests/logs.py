"""Write synthetic provenance logs in the record format of ``docs/records.md``."""

from __future__ import annotations

import datetime
import gzip
import json
import uuid
from pathlib import Path
from typing import Iterable, Optional, Sequence, Tuple

BASE_TIME = datetime.datetime(2026, 11, 22, 10, 0, 0, tzinfo=datetime.timezone.utc)
PREFIX = "INFO logprov.capture.facade "

Use = Tuple[dict, str]


def make_id(number: int) -> str:
    """Return a deterministic UUID4-shaped id."""
    return str(uuid.UUID(int=number, version=4))


def digest(text: str) -> str:
    """Return a 32-hex-digit id derived from ``text`` (stands for a value digest)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, text).hex


def stamp(seconds: float) -> str:
    """Return the ISO time ``seconds`` after `BASE_TIME`."""
    return (BASE_TIME + datetime.timedelta(seconds=seconds)).isoformat()


def value_entity(session: str, location: str, value: object, **extra: object) -> dict:
    """Return the entity record of a Python value."""
    record = {
        "entity_id": digest(f"{location}={value!r}"),
        "in_session": session,
        "type": "PythonObject",
        "location": location,
        "value": repr(value),
    }
    record.update(extra)
    return record


def file_entity(session: str, path: str, content_digest: str, **extra: object) -> dict:
    """Return the entity record of a file."""
    record = {
        "entity_id": f"file:{content_digest}",
        "in_session": session,
        "type": "File",
        "location": path,
        "hash": content_digest,
        "hash_type": "sha256",
    }
    record.update(extra)
    return record


class SyntheticLog:
    """Build a log line by line: batches of records, as the capture writes them, and messages."""

    def __init__(self, agent: str = "jdoe") -> None:
        self.lines: list = []
        self.clock = 0.0
        self.agent = agent
        self.counter = 0

    def now(self) -> str:
        return stamp(self.clock)

    def batch(self, records: Sequence[dict]) -> None:
        """Write ``records`` as one logging call (prefix on the first line only)."""
        head = f"_PROV_{self.now()}_PROV_"
        for number, record in enumerate(records):
            prefix = PREFIX if number == 0 else ""
            self.lines.append(prefix + head + json.dumps(record, separators=(",", ":")))
        self.clock += 1.0

    def message(self, text: str) -> None:
        """Write an ordinary log message."""
        self.lines.append(f"INFO other {text}")

    def raw(self, line: str) -> None:
        """Write ``line`` as it is."""
        self.lines.append(line)

    def session(self, number: int, *, definitions: Optional[dict] = None, **extra: object) -> str:
        """Write a session record and return the session id."""
        session = make_id(number)
        record = {
            "session_id": session,
            "startTime": self.now(),
            "name": "analysis",
            "module": "pipeline.core",
            "class": "Analysis",
            "agent_name": self.agent,
            "logprov_version": "0.1.0",
            "hash_type": "sha256",
            "system": {
                "executable": "/usr/bin/python3",
                "argv": ["run.py", "--fast"],
                "cwd": "/data/run",
                "pid": 4242,
                "platform": {"system": "Linux", "release": "6.1.0", "machine": "x86_64", "node": "laptop"},
                "python": {"version": "3.11.7", "implementation": "CPython"},
            },
            "packages": {"numpy": "1.26.4"},
            "git": {"commit": "a" * 40, "dirty": False},
        }
        if definitions is not None:
            record["definitions"] = definitions
        record.update(extra)
        self.batch([record])
        return session

    def call(
        self,
        session: str,
        name: str,
        *,
        used: Iterable[Use] = (),
        generated: Iterable[Use] = (),
        parameters: Optional[dict] = None,
        members: Iterable[Tuple[str, dict]] = (),
        derivations: Iterable[dict] = (),
        parent: Optional[str] = None,
        status: str = "success",
        exception: Optional[Tuple[str, str]] = None,
        finished: bool = True,
    ) -> str:
        """Write the two batches of a traced call and return its activity id.

        ``members`` are ``(collection_id, member entity record)`` pairs written after the call.
        """
        self.counter += 1
        activity = make_id(1_000_000 + self.counter)
        start = self.now()
        first = list(derivations)
        opening = {
            "activity_id": activity,
            "name": name,
            "startTime": start,
            "in_session": session,
            "agent_name": self.agent,
            "function": f"pipeline.core.Analysis.{name}",
        }
        if parent is not None:
            opening["parent_activity_id"] = parent
        first.append(opening)
        if parameters:
            first.append({"activity_id": activity, "parameters": parameters})
        for entity, role in used:
            first.append(entity)
            first.append({"activity_id": activity, "used_id": entity["entity_id"], "used_role": role})
        self.batch(first)
        if not finished:
            return activity
        second = []
        for entity, role in generated:
            second.append(entity)
            second.append({"activity_id": activity, "generated_id": entity["entity_id"], "generated_role": role})
        for collection, member in members:
            second.append(member)
            second.append({"entity_id": collection, "member_id": member["entity_id"], "in_session": session})
        end = {"activity_id": activity, "endTime": self.now(), "status": status, "duration": 0.25}
        if exception is not None:
            end["exception_type"], end["exception_message"] = exception
        second.append(end)
        self.batch(second)
        return activity

    def end_session(self, session: str) -> None:
        """Write the end record of a session."""
        self.batch([{"session_id": session, "endTime": self.now()}])

    def text(self) -> str:
        """Return the log text."""
        return "\n".join(self.lines) + "\n"

    def write(self, path: Path) -> Path:
        """Write the log to ``path`` (gzip-compressed when it ends with ``.gz``)."""
        if str(path).endswith(".gz"):
            with gzip.open(path, "wt", encoding="utf-8") as stream:
                stream.write(self.text())
        else:
            Path(path).write_text(self.text(), encoding="utf-8")
        return Path(path)


DEFINITIONS = {
    "activities": {
        "get_observations": {
            "description": "Fetch observations from the data store",
            "parameters": [
                {"name": "datastore", "description": "DataStore path", "value": "settings.datastore"},
            ],
            "usage": [
                {"role": "datastore", "description": "DataStore file", "entityType": "DataStore",
                 "location": "settings.datastore"},
            ],
            "generation": [
                {"role": "observations", "description": "Observations selected", "entityType": "Observations",
                 "value": "observations"},
            ],
        },
    },
    "entities": {
        "DataStore": {"description": "A data store", "type": "File", "contentType": "application/fits"},
        "Observations": {"description": "A list of observations", "type": "PythonObject"},
    },
}


def two_session_log(path: Path) -> dict:
    """Write a log where session 1 writes a file that session 2 reads; return the ids.

    Session 1: ``make_input`` generates value ``x``; ``write_table`` uses ``x`` and generates
    the file. Session 2: ``read_table`` uses the file and generates ``y``.
    """
    log = SyntheticLog()
    first = log.session(1)
    x = value_entity(first, "x", 1)
    log.call(first, "make_input", generated=[(x, "x")])
    table = file_entity(first, "/data/table.fits", "abc" + "0" * 61)
    log.call(first, "write_table", used=[(x, "x")], generated=[(table, "table")])
    log.end_session(first)
    second = log.session(2)
    table_again = file_entity(second, "/data/copy/table.fits", "abc" + "0" * 61)
    y = value_entity(second, "y", 2)
    log.call(second, "read_table", used=[(table_again, "table")], generated=[(y, "y")])
    log.write(path)
    return {"sessions": (first, second), "x": x["entity_id"], "y": y["entity_id"], "file": table["entity_id"]}


def write_same_content(make_capture, log, paths, sessions: bool) -> None:
    """Write the same bytes to each of ``paths`` from a traced function logging to ``log``: in
    one session, or with ``sessions`` in a session of its own for each path."""
    capture = None
    for path in paths:
        if capture is None or sessions:
            capture = make_capture(log_filename=str(log))
            write = _traced_writer(capture)
        write(str(path))


def _traced_writer(capture):
    @capture.trace
    def write(output):
        with open(output, "w") as stream:
            stream.write("the same bytes\n")
        capture.add_output_file(output, role="out")

    return write
