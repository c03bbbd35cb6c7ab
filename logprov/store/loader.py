"""Loading logs into a store: idempotent, incremental, safe with many loaders at once.

A source (a log file) is known to the store by a digest of its first line (of the whole file
for a ``.gz`` log or a product, which are read whole): a log renamed by rotation, or reached
through another path or host, is still the same source, and a new log at an old path is a new
one. The store remembers of each source how far it was read (the end of its last complete
line), a BLAKE2b digest of the bytes up to there, and the device, inode, size and times the
file had.

Loading a file whose device, inode, size and times are as remembered reads nothing (the
change time moves on every write and cannot be set back; one less than `SETTLE_SECONDS` old
is not trusted). Otherwise the file is hashed up to the remembered end: when the digest
matches, only what follows is read; when it does not, the file was edited or replaced, and
`SourceChanged` is raised with nothing loaded from it.

Rows are written in batches of about `BATCH_BYTES` of log, each in one transaction that also
moves the source's end and digest, and adds the lines of the batch that could not be read to
the source's count of them (the first `KEPT_PROBLEMS` with their line and reason, which
`skipped_lines` gives back): a loader killed mid-batch leaves the store as it was
after the last whole batch, and the next run goes on from there. Loaders of one source take
turns (a per-source lock: an advisory lock in PostgreSQL, a byte-range lock on a file beside
an SQLite store); each transaction checks that the source's end is still the one it started
from, so two loaders can never store the same lines twice.
"""

from __future__ import annotations

import hashlib
import io
import os
import socket
import time
import warnings
from dataclasses import dataclass
from typing import IO, Any, Iterable, Iterator, Optional, Sequence

from ..errors import LogprovError
from ..reading.reader import ProvRecord, ReadStats, iter_records
from ..reading.results import DEFAULT_MAX_WARNINGS, LogReadWarning
from ..query.facts import FactReader
from ..query.progress import Progress, track
from ..reading.sources import STDIN, LogFile, last_line_end, resolve
from ..query.window import utc_text
from .decoding import BLOCK, DecodingFailed, DecodingWorker, LogLines
from .engines import Engine
from .schema import create_indexes
from .writer import StoreWriter

__all__ = ["SourceChanged", "Loaded", "load_files", "source_key", "skipped_lines", "BATCH_BYTES", "SETTLE_SECONDS",
           "KEPT_PROBLEMS"]

#: Bytes of log whose rows are written in one transaction.
BATCH_BYTES = 16 << 20
#: Records loaded at once after which the planner's statistics are brought up to date.
ANALYZE_RECORDS = 50_000
#: Seconds after which the change time of a loaded file is trusted (see the module notes).
SETTLE_SECONDS = 2.0
#: Bytes of new log from which a new source is read by a second process (see
#: `logprov.store.decoding`) while this one writes, when the machine has two cores or more.
BESIDE_BYTES = 32 << 20
#: Unreadable lines of a source kept with their line and reason: those a read of it warns about.
KEPT_PROBLEMS = DEFAULT_MAX_WARNINGS
_BLOCK = BLOCK
_SOURCE_COLUMNS = ("src_path", "src_host", "src_dev", "src_ino", "src_size", "src_mtime", "src_ctime")


class SourceChanged(LogprovError):
    """A log's content differs from what was loaded from it (edited, or replaced by another
    log with the same first line): nothing more is loaded from it."""


class _Moved(Exception):
    """Another loader extended the source since this one planned: plan again."""


@dataclass
class Loaded:
    """What loading one file did.

    Attributes
    ----------
    path : str
        The file.
    key : str or None
        Its source key (None for a file without a complete line yet).
    records : int
        Records loaded now.
    state : str
        ``unchanged``, ``loaded`` (new lines read) or ``empty`` (nothing to read yet).
    skipped : int
        Lines read now that could not be read as records (each warned about, up to
        `KEPT_PROBLEMS`, as reading the log does).
    """

    path: str
    key: Optional[str]
    records: int
    state: str
    skipped: int = 0


def _digest(path: str, end: int) -> tuple[Any, int]:
    """Return a BLAKE2b hasher fed with the first ``end`` bytes of ``path``, and the number of
    lines they end, as the reader counts them (``\\n``, ``\\r\\n`` or ``\\r`` ends a line)."""
    hasher = hashlib.blake2b(digest_size=20)
    lines = 0
    after_return = False
    with open(path, "rb") as stream:
        left = end
        while left > 0:
            block = stream.read(min(_BLOCK, left))
            if not block:
                break
            hasher.update(block)
            lines += block.count(b"\n")
            if after_return or b"\r" in block:
                lines += block.count(b"\r") - block.count(b"\r\n") - (after_return and block[:1] == b"\n")
                after_return = block[-1:] == b"\r"
            left -= len(block)
    return hasher, lines


def source_key(log: LogFile) -> Optional[str]:
    """Return the key of ``log`` in a store: the digest of its first line (of the whole file
    when it can only be read whole), or None when it has no complete line yet."""
    if log.compressed:
        return "whole:" + _digest(log.path, os.path.getsize(log.path))[0].hexdigest()
    hasher = hashlib.blake2b(digest_size=20)
    with open(log.path, "rb") as stream:
        while True:
            block = stream.read(1 << 16)
            if not block:
                return None
            end = block.find(b"\n")
            if end >= 0:
                hasher.update(block[:end + 1])
                return "line:" + hasher.hexdigest()
            hasher.update(block)


def _trusted_ctime(info: os.stat_result) -> int:
    return info.st_ctime_ns if time.time_ns() - info.st_ctime_ns > SETTLE_SECONDS * 1e9 else 0


def _stat_row(log: LogFile, info: os.stat_result, settled: bool) -> tuple:
    return (log.path, socket.gethostname(), info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns,
            _trusted_ctime(info) if settled else 0)


class _SourceLoad:
    """One pass over one source: reads its new lines and commits them batch by batch."""

    def __init__(self, engine: Engine, writer: StoreWriter, log: LogFile, key: str, info: os.stat_result,
                 start: int, end: int, hasher: Any, batch_bytes: int, what: str, first_line: int = 1) -> None:
        self.engine = engine
        self.first_line = first_line
        self.reading: Optional[LogLines] = None
        self.what = what
        self.writer = writer
        self.log = log
        self.key = key
        self.info = info
        self.committed = start
        self.end = end
        self.hasher = hasher
        self.batch_bytes = batch_bytes
        self.records = 0
        self.skipped = 0
        self.problems = 0
        self.legacy = False
        self.stats = ReadStats()

    def commit(self, offset: int, digest: str, final: bool, lines: int) -> None:
        """Store the rows kept so far, with the source's new end (after its line ``lines``) and
        the lines it could not read, in one transaction."""
        engine = self.engine
        with engine.transaction():
            engine.run("INSERT INTO source (src_key, src_offset) VALUES (?, 0) ON CONFLICT (src_key) DO NOTHING",
                       (self.key,))
            row = engine.rows("SELECT src_offset, src_skipped FROM source WHERE src_key = ?", (self.key,))
            if row[0][0] != self.committed:
                raise _Moved()
            self.writer.flush()
            skipped = self._store_problems(row[0][1])
            stat = _stat_row(self.log, self.info, final)
            engine.run(
                f"UPDATE source SET {', '.join(c + ' = ?' for c in _SOURCE_COLUMNS)}, src_offset = ?, "
                "src_digest = ?, src_legacy = CASE WHEN src_legacy = 1 OR ? = 1 THEN 1 ELSE 0 END, "
                "src_records = src_records + ?, src_skipped = ?, src_lines = ?, src_loaded = ? WHERE src_key = ?",
                (*stat, offset, digest, int(self.legacy), self.stats.records - self.records, skipped, lines,
                 utc_text(_now()), self.key),
            )
        self.committed = offset
        self.records = self.stats.records
        self.skipped = self.stats.skipped
        self.problems = len(self.stats.problems)

    def _store_problems(self, skipped: int) -> int:
        """Keep the lines skipped since the last commit (inside its transaction), the first
        `KEPT_PROBLEMS` of the source with their reasons, and return the source's new count of
        skipped lines (``skipped`` before)."""
        engine = self.engine
        new = self.stats.problems[self.problems:]
        if new:
            kept = engine.rows("SELECT count(*) FROM source_problem WHERE sp_src_key = ?", (self.key,))[0][0]
            engine.append("source_problem", ("sp_src_key", "sp_line", "sp_reason"),
                          [(self.key, line, reason) for _, line, reason in new[:max(0, KEPT_PROBLEMS - kept)]])
        return skipped + self.stats.skipped - self.skipped

    def _noted(self, records: Iterable[ProvRecord]) -> Iterator[ProvRecord]:
        for record in records:
            if record.legacy:
                self.legacy = True
            yield record

    def boundary(self, position: int) -> None:
        """Store what was read when a batch is large enough (called between two blocks)."""
        if position - self.committed >= self.batch_bytes:
            assert self.reading is not None
            self.commit(position, self.hasher.hexdigest(), False, self.first_line - 1 + self.reading.lines)

    def run(self, progress: Optional[Progress]) -> None:
        """Read ``[start, end)`` of the source and commit it."""
        log = self.log
        stats = self.stats
        lines = None
        if log.compressed:
            records = iter_records(log.path, stats=stats)
            sizes = [log.size]
        else:
            lines = self.reading = LogLines(log.path, self.committed, self.end, self.hasher, self.boundary,
                                            min(_BLOCK, self.batch_bytes), self.first_line)
            records = iter_records(lines, stats=stats)
            sizes = [self.end - self.committed]
        if progress is not None:
            records = track(records, progress, self.what, {}, stats, sizes)
        FactReader(self.writer).add_all(self._noted(records))
        if lines is None:
            self.commit(self.end, self.hasher.hexdigest(), True, stats.lines)
        else:
            self.commit(lines.position, self.hasher.hexdigest(), True, self.first_line - 1 + lines.lines)

    def run_beside(self, progress: Optional[Progress]) -> None:
        """Store the batches a second process reads from the start of the source to its end.

        Raises
        ------
        DecodingFailed
            If the second process fails; the batches stored before are whole.
        """
        try:
            with DecodingWorker(self.log.path, self.end, self.batch_bytes) as worker:
                for batch in worker.batches():
                    self.writer.put_pending(batch.pending)
                    self.legacy = self.legacy or batch.legacy
                    self.stats.records = batch.records
                    self.stats.skipped = batch.skipped
                    self.stats.problems.extend(batch.problems)
                    self.commit(batch.position, batch.digest, batch.final, batch.lines)
                    if progress is not None:
                        progress.update(self.what, self.log.path, batch.records, batch.position, self.end)
        finally:
            if progress is not None:
                progress.done()


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())


def _unchanged(engine: Engine, log: LogFile, info: os.stat_result) -> Optional[str]:
    """Return the key of the source that ``log`` is, untouched since it was loaded, or None."""
    rows = engine.rows(
        "SELECT src_key FROM source WHERE src_path = ? AND src_dev = ? AND src_ino = ? AND src_size = ? "
        "AND src_mtime = ? AND src_ctime = ? AND src_ctime <> 0",
        (log.path, info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns))
    return rows[0][0] if rows else None


def load_file(engine: Engine, log: LogFile, progress: Optional[Progress] = None,
              batch_bytes: Optional[int] = None, appending: bool = True, what: str = "loading") -> Loaded:
    """Load what the store does not hold yet of one log, in batches of ``batch_bytes`` of log
    (default `BATCH_BYTES`).

    Raises
    ------
    SourceChanged
        If the log's content differs from what was loaded from it.
    OSError
        If the log cannot be read.
    """
    beside = True
    batch_bytes = BATCH_BYTES if batch_bytes is None else batch_bytes
    for _ in range(100):
        info = os.stat(log.path)
        known = _unchanged(engine, log, info)
        if known is not None:
            return Loaded(log.path, known, 0, "unchanged")
        key = source_key(log)
        if key is None:
            return Loaded(log.path, None, 0, "empty")
        with engine.source_lock(key):
            try:
                return _load_locked(engine, log, key, progress, batch_bytes, appending, what, beside)
            except _Moved:
                continue
            except DecodingFailed:
                beside = False
    raise LogprovError(f"{log.path}: other loaders kept extending it; try again")


def _load_locked(engine: Engine, log: LogFile, key: str, progress: Optional[Progress], batch_bytes: int,
                 appending: bool, what: str, beside: bool = False) -> Loaded:
    info = os.stat(log.path)
    rows = engine.rows("SELECT src_offset, src_digest, src_legacy, src_size FROM source WHERE src_key = ?", (key,))
    offset, digest, legacy, size = rows[0] if rows else (0, None, 0, None)
    if log.compressed:
        end = info.st_size
        if offset:
            _touch(engine, log, key, info)
            return Loaded(log.path, key, 0, "unchanged")
        hasher = hashlib.blake2b(digest_size=20)
        hasher.update(key.encode())
        lines = 0
    else:
        end = last_line_end(log.path, info.st_size)
        if end < offset:
            raise SourceChanged(f"{log.path} is shorter than when it was loaded ({end} < {offset} bytes)")
        hasher, lines = _digest(log.path, offset)
        if offset and hasher.hexdigest() != digest:
            raise SourceChanged(f"the content of {log.path} changed since it was loaded (its first {offset} "
                                "bytes differ)")
        if legacy and end > offset:
            raise SourceChanged(f"{log.path} grew and holds logprov 0.0.2 records, which are loaded whole only")
        if end == offset:
            if rows:
                _touch(engine, log, key, info)
            return Loaded(log.path, key, 0, "unchanged" if rows else "empty")
    writer = StoreWriter(engine, appending=appending or bool(offset))
    load = _SourceLoad(engine, writer, log, key, info, offset, end, hasher, batch_bytes, what, lines + 1)
    if beside and _read_beside(log, offset, end, writer.appending):
        load.run_beside(progress)
    else:
        load.run(progress)
    return Loaded(log.path, key, load.records, "loaded", load.skipped)


def _read_beside(log: LogFile, offset: int, end: int, appending: bool) -> bool:
    """Return True when the lines ``[offset, end)`` of ``log`` are read by a second process: a
    large new source (nothing read of it yet), with no rows of the store to look up, on a
    machine with a core to spare."""
    return (not log.compressed and offset == 0 and not appending and end - offset >= BESIDE_BYTES
            and (os.cpu_count() or 1) > 1)


def _touch(engine: Engine, log: LogFile, key: str, info: os.stat_result) -> None:
    """Remember the file as it is now, for the next quick check (writing nothing when the
    store already has it so)."""
    rows = engine.rows(f"SELECT {', '.join(_SOURCE_COLUMNS)} FROM source WHERE src_key = ?", (key,))
    if rows and tuple(rows[0]) == _stat_row(log, info, True):
        return
    with engine.transaction():
        engine.run(f"UPDATE source SET {', '.join(c + ' = ?' for c in _SOURCE_COLUMNS)} WHERE src_key = ?",
                   (*_stat_row(log, info, True), key))


def ordered_files(sources: Sequence[Any]) -> list[LogFile]:
    """Return the log files ``sources`` (paths, glob patterns) name, each once, in the order the
    reader reads them (rotated copies of a log before it).

    Raises
    ------
    LogReadError
        If a file does not exist or a pattern matches no file.
    LogprovError
        If a source is standard input.
    """
    if STDIN in [os.fspath(s) for s in sources if isinstance(s, (str, os.PathLike))]:
        raise LogprovError("standard input cannot be loaded into a store: save it to a file first")
    return [f for f in resolve(list(sources)) if isinstance(f, LogFile)]


def load_files(engine: Engine, files: Sequence[LogFile], progress: Optional[Progress] = None,
               batch_bytes: Optional[int] = None, what: str = "loading", indexes_later: bool = False) -> list[Loaded]:
    """Load ``files`` in order (see `load_file`); ``what`` names the work in progress lines.

    With ``indexes_later``, the store was prepared without its secondary indexes
    (`logprov.store.schema.prepare`) and gets them here: after the files, or before the
    first file read by a second process, whose batches this process writes while it waits.
    """
    empty = not engine.rows("SELECT 1 FROM source LIMIT 1")
    done = []
    for number, log in enumerate(files):
        appending = not empty or number > 0
        if indexes_later and (appending or _read_beside(log, 0, log.size, appending)):
            create_indexes(engine)
            indexes_later = False
        done.append(load_file(engine, log, progress, batch_bytes, appending, what))
    if indexes_later:
        create_indexes(engine)
    if sum(found.records for found in done) >= ANALYZE_RECORDS:
        engine.refresh_statistics()
    return done


def skipped_lines(engine: Engine, key: Optional[str],
                  log: Optional[LogFile] = None) -> tuple[int, list[tuple[int, str]]]:
    """Return how many lines of source ``key`` could not be read, and ``(line, reason)`` of the
    first of them (`KEPT_PROBLEMS` at most), in line order.

    With ``log``, the file of the source, what follows its last whole line is read from it, and
    counted too: a last line cut short, which the store holds nothing of until it ends (all of
    a file without a whole line, whose ``key`` is None).
    """
    rows = [] if key is None else engine.rows(
        "SELECT src_skipped, src_offset, src_lines FROM source WHERE src_key = ?", (key,))
    skipped, offset, lines = rows[0] if rows else (0, 0, 0)
    problems = [] if not rows else [(int(line), str(reason)) for line, reason in engine.rows(
        "SELECT sp_line, sp_reason FROM source_problem WHERE sp_src_key = ? ORDER BY sp_line", (key,))]
    if log is not None and not log.compressed and lines is not None and os.path.getsize(log.path) > offset:
        tail = _tail_problems(log.path, offset, lines + 1)
        skipped += tail.skipped
        room = max(0, KEPT_PROBLEMS - len(problems))
        problems.extend((line, reason) for _, line, reason in tail.problems[:room])
    return int(skipped), problems


class _Tail(io.TextIOWrapper):
    """The text of a log from an offset on, its lines numbered from ``first_line`` by the reader."""

    def __init__(self, buffer: IO[bytes], first_line: int) -> None:
        super().__init__(buffer, encoding="utf-8", errors="replace")
        self.first_line = first_line


def _tail_problems(path: str, offset: int, first_line: int) -> ReadStats:
    """Read ``path`` from ``offset`` (the end of its line ``first_line - 1``) and return what
    the reader skipped, warning about nothing."""
    stats = ReadStats()
    with open(path, "rb") as raw:
        raw.seek(offset)
        with _Tail(raw, first_line) as stream, warnings.catch_warnings():
            warnings.simplefilter("ignore", LogReadWarning)
            for _ in iter_records(stream, stats=stats):
                pass
    return stats
