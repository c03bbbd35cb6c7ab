"""Reading a log into the rows of a store: its lines read a block at a time, and, for a large
new log, the reading and decoding done by a second process while this one writes.

The second process (`decode_batches`, started by `DecodingWorker`) runs the same reader, fact
reader and `StoreWriter` as a load in one process, over the whole log, and hands over what
the writer holds at every batch boundary: the rows, the activities, the position in the log
the batch ends at and the digest of the bytes up to there, hashed as they were read: the
digest the store keeps describes the bytes its rows came from, even when the log is
rewritten in place during the load (the next load then finds that it changed). The loading
process stores each batch in its own transaction, exactly as it stores the batches it reads
itself, so a store loaded in two processes holds what one loaded in one process holds. When
the second process cannot be started or stops before the end, `DecodingFailed` is raised:
what was stored is whole batches, and the load goes on from there in one process.
"""

from __future__ import annotations

import hashlib
import io
import marshal
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Iterator, Optional

from ..errors import LogprovError
from ..reading.reader import DEFAULT_MAX_PAYLOAD, LINE_SLACK, ProvRecord, ReadStats, iter_records

__all__ = ["LogLines", "Batch", "DecodingFailed", "DecodingWorker", "decode_batches", "BLOCK"]

#: Bytes read from a log at once.
BLOCK = 1 << 20
#: Bytes of a line without an end handed to the reader in pieces (it skips such lines).
_LONG_LINE = DEFAULT_MAX_PAYLOAD + LINE_SLACK
_WARNINGS = {"LogReadWarning": "logprov.reading.results"}
#: The variable that makes an interpreter re-create its parent's capture
#: (`logprov.capture.children.ENV_VAR`): the second process captures nothing.
CHILD_STATE = "LOGPROV_CHILD_STATE"
#: Bytes of log of the first and last batches of a second process at least: batches grow
#: from this size to the loader's and shrink again before the end of the log, so that
#: neither process waits long for the other at the start and at the end.
EDGE_BATCH = 1 << 20
#: Batches the second process writes ahead of those the loader has taken, at most.
AHEAD = 2


class LogLines:
    """The lines of ``[start, end)`` of a file, as decoded text, read a block at a time.

    Lines end where the reader's text files end them (universal newlines: ``\\n``, ``\\r\\n``
    or ``\\r``, each read as ``\\n``), not at the other line boundaries of `str.splitlines`
    (``\\u2028``, ``\\x85``, …), which JSON strings in a record may hold as they are.

    Between two blocks, every line handed out so far has been read whole by the reader and
    its records taken by the writer: ``boundary(position)`` is called there, with the offset
    the lines read end at, so that the loader can store a batch that ends on a line. The
    reader numbers the lines from ``first_line``, the number of the line at ``start``;
    ``lines`` counts the whole lines handed out.
    """

    mode = "r"

    def __init__(self, path: str, start: int, end: int, hasher: Any, boundary: Any, block: int = BLOCK,
                 first_line: int = 1) -> None:
        self.name = path
        self.first_line = first_line
        self.lines = 0
        self.block = block
        self.start = start
        self.position = start
        self.end = end
        self.hasher = hasher
        self.boundary = boundary

    def read(self, size: int = -1) -> str:
        """Read the rest as text (the reader iterates lines instead)."""
        return "".join(self)

    def tell(self) -> int:
        """Return the bytes read so far."""
        return self.position - self.start

    def __iter__(self) -> Iterator[str]:
        with open(self.name, "rb") as stream:
            stream.seek(self.start)
            pending = b""
            while self.position + len(pending) < self.end:
                block = pending + stream.read(min(self.block, self.end - self.position - len(pending)))
                if len(block) == len(pending):
                    break
                cut = block.rfind(b"\n") + 1
                if cut == 0 and len(block) < _LONG_LINE:
                    pending = block
                    continue
                whole, pending = (block[:cut], block[cut:]) if cut else (block, b"")
                self.hasher.update(whole)
                self.position += len(whole)
                found = io.StringIO(whole.decode("utf-8", "replace"), newline=None).readlines()
                self.lines += len(found) - (not found[-1].endswith("\n"))
                yield from found
                if cut:
                    self.boundary(self.position)


class DecodingFailed(LogprovError):
    """The second process of a load could not be started or stopped before the end."""


@dataclass
class Batch:
    """What the second process read up to a batch boundary.

    Attributes
    ----------
    position : int
        Offset in the log the batch ends at (the end of a line).
    digest : str
        BLAKE2b digest of the log's bytes up to ``position``, as the second process read them.
    records : int
        Records read so far.
    legacy : bool
        A record of logprov 0.0.2 was met so far.
    pending : dict
        The writer's rows (see `StoreWriter.take_pending`).
    final : bool
        The last batch: the log was read up to its end.
    lines : int
        Lines up to ``position``.
    skipped : int
        Lines that could not be read so far.
    problems : list of (str, int, str)
        ``(source, line, reason)`` of the lines skipped in this batch that `ReadStats` kept.
    """

    position: int
    digest: str
    records: int
    legacy: bool
    pending: dict
    final: bool
    lines: int
    skipped: int
    problems: list


def decode_batches(path: str, end: int, batch_bytes: int, folder: str, out: IO[bytes], acks: IO[bytes]) -> None:
    """Read ``path`` up to ``end`` into a `StoreWriter` and hand over its rows at every batch
    boundary (batches of ``batch_bytes`` of log, smaller at both ends: `EDGE_BATCH`).

    Batch ``n`` is written to the file ``n`` of ``folder`` as one `marshal` frame (the warnings
    of the read and the lines it skipped in it), then its number is written to ``out``; at most
    `AHEAD` batches wait unread: the next waits for a byte on ``acks`` (the end of ``acks``
    stops the read).
    """
    from ..query.facts import FactReader
    from .writer import StoreWriter

    writer = StoreWriter(None, appending=False)
    stats = ReadStats()
    hasher = hashlib.blake2b(digest_size=20)
    state = {"committed": 0, "legacy": False, "sent": 0, "problems": 0}
    caught: list = []

    def emit(position: int, final: bool) -> None:
        found = [(getattr(w.category, "__name__", ""), str(w.message)) for w in caught]
        caught.clear()
        number = state["sent"]
        if number >= AHEAD and not acks.read(1):
            raise SystemExit("the loading process stopped")
        problems = stats.problems[state["problems"]:]
        state["problems"] = len(stats.problems)
        with open(os.path.join(folder, str(number)), "wb") as stream:
            stream.write(marshal.dumps((position, hasher.hexdigest(), stats.records, state["legacy"],
                                        writer.take_pending(), final, found, lines.lines, stats.skipped,
                                        problems)))
        out.write(number.to_bytes(8, "little"))
        out.flush()
        state["committed"] = position
        state["sent"] += 1

    def boundary(position: int) -> None:
        wanted = min(batch_bytes, EDGE_BATCH << min(state["sent"], 16), max(EDGE_BATCH, (end - position) // 2))
        if position - state["committed"] >= wanted:
            emit(position, False)

    def noted(records: Iterator[ProvRecord]) -> Iterator[ProvRecord]:
        for record in records:
            if record.legacy:
                state["legacy"] = True
            yield record

    lines = LogLines(path, 0, end, hasher, boundary, min(BLOCK, batch_bytes))
    with warnings.catch_warnings(record=True) as recorded:
        warnings.simplefilter("always")
        caught = recorded
        FactReader(writer).add_all(noted(iter_records(lines, stats=stats)))
        emit(lines.position, True)


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    """Return the next ``size`` bytes of ``stream``.

    Raises
    ------
    EOFError
        If the stream ends before.
    """
    found = stream.read(size)
    if len(found) != size:
        raise EOFError(f"{len(found)} of {size} bytes")
    return found


def _warning_class(name: str) -> type:
    module = _WARNINGS.get(name)
    if module is None:
        return UserWarning
    import importlib

    found = getattr(importlib.import_module(module), name, UserWarning)
    return found if isinstance(found, type) and issubclass(found, Warning) else UserWarning


class DecodingWorker:
    """A second process reading ``path`` up to ``end``, its batches read with `batches`.

    Raises
    ------
    DecodingFailed
        If the process cannot be started.
    """

    _CODE = ("import sys; sys.path.insert(0, sys.argv[1]); from logprov.store.decoding import decode_batches; "
             "decode_batches(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.stdout.buffer, "
             "sys.stdin.buffer)")

    def __init__(self, path: str, end: int, batch_bytes: int) -> None:
        if not sys.executable:
            raise DecodingFailed("no Python interpreter to start")
        package = str(Path(__file__).resolve().parent.parent.parent)
        environment = {key: value for key, value in os.environ.items() if key != CHILD_STATE}
        self.process: Optional[subprocess.Popen] = None
        try:
            self.folder = tempfile.mkdtemp(prefix="logprov-load-")
            self.process = subprocess.Popen(
                [sys.executable, "-c", self._CODE, package, path, str(end), str(batch_bytes), self.folder],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment)
        except OSError as exc:
            self.close()
            raise DecodingFailed(f"cannot start a second process: {exc}") from None

    def batches(self) -> Iterator[Batch]:
        """Yield the batches as they come, the warnings of each issued here first.

        Raises
        ------
        DecodingFailed
            If the process stops before the last batch.
        """
        process = self.process
        assert process is not None and process.stdout is not None and process.stdin is not None
        while True:
            try:
                number = int.from_bytes(_read_exactly(process.stdout, 8), "little")
                frame = os.path.join(self.folder, str(number))
                with open(frame, "rb") as stream:
                    (position, digest, records, legacy, pending, final, found, lines, skipped,
                     problems) = marshal.loads(stream.read())
                os.unlink(frame)
                if not final:
                    self._acknowledge()
            except (EOFError, ValueError, TypeError, OSError) as exc:
                raise DecodingFailed(f"the second process stopped early: {self._failure(exc)}") from None
            for name, message in found:
                warnings.warn(message, _warning_class(name), stacklevel=2)
            yield Batch(position, digest, records, legacy, pending, final, lines, skipped, problems)
            if final:
                return

    def _acknowledge(self) -> None:
        """Let the process write one more batch ahead. A process that has ended reads no more:
        it wrote its last batch (the next read takes it) or died (the next read finds the end)."""
        process = self.process
        assert process is not None and process.stdin is not None
        try:
            process.stdin.write(b".")
            process.stdin.flush()
        except BrokenPipeError:
            pass

    def _failure(self, exc: Exception) -> str:
        process = self.process
        assert process is not None
        try:
            _, err = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            _, err = process.communicate()
        text = (err or b"").decode("utf-8", "replace").strip().splitlines()
        return text[-1] if text else f"{type(exc).__name__} (exit status {process.returncode})"

    def close(self) -> None:
        """Stop the process if it still runs, wait for it and remove its batches."""
        process, self.process = self.process, None
        if process is not None:
            if process.poll() is None:
                process.kill()
            process.communicate()
        shutil.rmtree(getattr(self, "folder", ""), ignore_errors=True)

    def __enter__(self) -> "DecodingWorker":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
