"""Read provenance records from logs: files, glob patterns, ``.gz`` files and streams.

A record is a line holding ``_PROV_<timestamp>_PROV_<payload>`` (see ``docs/records.md``). The
payload is JSON, or a Python literal in logs of logprov 0.0.2, which are normalised here into
the current record shape.
"""

from __future__ import annotations

import datetime
import functools
import io
import os
import re
import sys
import zlib
from dataclasses import dataclass, field
from typing import IO, Any, Callable, ContextManager, Iterable, Iterator, Union

from ..errors import LogReadError
from ..records.legacy import RecordNormalizer
from ..records.lines import (
    DEFAULT_MAX_DEPTH, DEFAULT_MAX_PAYLOAD, PROV_PREFIX, RECORD_START, decode_payload, quick_record,
)
from .kinds import kinds_of, open_source
from .results import DEFAULT_MAX_WARNINGS, LogReadWarning, ProvRecord, ReadStats, Reporter, parse_time
from .sources import STDIN, resolve_paths

__all__ = [
    "PROV_PREFIX",
    "DEFAULT_MAX_PAYLOAD",
    "DEFAULT_MAX_DEPTH",
    "LogReadWarning",
    "ProvRecord",
    "ReadStats",
    "RecordNormalizer",
    "decode_payload",
    "iter_records",
    "parse_time",
    "source_names",
]

_PREFIX_LEN = len(PROV_PREFIX)
#: Characters a line may hold besides its payload (the logging prefix, the timestamp).
LINE_SLACK = 64 * 1024
_MAX_RECOVERY = 16

Source = Union[str, "os.PathLike[str]", IO[str], IO[bytes]]
TimeBound = Union[str, datetime.datetime, None]

Opener = Callable[[], ContextManager[Iterable[str]]]


class _Borrowed:
    """Context manager handing out a stream it does not close."""

    def __init__(self, stream: Iterable[str], detach: Callable[[], Any] | None = None) -> None:
        self.stream = stream
        self.detach = detach

    def __enter__(self) -> Iterable[str]:
        return self.stream

    def __exit__(self, *exc: object) -> None:
        if self.detach is not None:
            self.detach()


def _text_stream(stream: IO[Any]) -> _Borrowed:
    if isinstance(stream, (io.RawIOBase, io.BufferedIOBase)) or "b" in getattr(stream, "mode", ""):
        wrapper = io.TextIOWrapper(stream, encoding="utf-8", errors="replace")
        return _Borrowed(wrapper, wrapper.detach)
    return _Borrowed(stream)


def _stdin() -> _Borrowed:
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:
        return _Borrowed(sys.stdin)
    wrapper = io.TextIOWrapper(buffer, encoding="utf-8", errors="replace")
    return _Borrowed(wrapper, wrapper.detach)


def _file_opener(path: str) -> Opener:
    kinds = kinds_of(path)
    return lambda: open_source(path, kinds)


def _resolve(sources: Source | Iterable[Source]) -> list[tuple[str, Opener]]:
    resolved: list[tuple[str, Opener]] = []
    for source in resolve_paths(sources):
        if hasattr(source, "read"):
            name = str(getattr(source, "name", "<stream>"))
            resolved.append((name, functools.partial(_text_stream, source)))
        elif source == STDIN:
            resolved.append(("<stdin>", _stdin))
        else:
            resolved.append((source, _file_opener(source)))
    return resolved


def source_names(sources: Source | Iterable[Source]) -> list[str]:
    """Return the names of what ``sources`` stands for (files, ``<stdin>``, stream names), in
    the order `iter_records` reads them: glob patterns expanded, rotated copies of a log first.

    Raises
    ------
    LogReadError
        If a file does not exist or a pattern matches no file.
    """
    return [name for name, _ in _resolve(sources)]


def _bound(value: TimeBound, name: str) -> datetime.datetime | None:
    if value is None:
        return None
    try:
        return parse_time(value)
    except ValueError:
        raise ValueError(f"{name} is not an ISO 8601 time: {value!r}") from None


class _Selection:
    """The time window and the sessions a read keeps."""

    __slots__ = ("start", "end", "sessions", "timed")

    def __init__(self, start: TimeBound, end: TimeBound, sessions: Iterable[str] | None) -> None:
        self.start = _bound(start, "start")
        self.end = _bound(end, "end")
        self.timed = self.start is not None or self.end is not None
        self.sessions = None if sessions is None else {str(session) for session in sessions}

    def in_window(self, moment: datetime.datetime) -> bool:
        return (self.start is None or moment >= self.start) and (self.end is None or moment <= self.end)


def bounded_lines(stream: Iterable[str], limit: int) -> Iterator[str]:
    """Return an iterator over the lines of ``stream`` that holds at most ``limit`` characters
    of a line at a time: a longer line comes in pieces, only the last ending with a newline.

    Streams with a ``readline(size)`` method are read with it; other iterables of lines are
    iterated as they are (their lines are already in memory).
    """
    readline = getattr(stream, "readline", None)
    if readline is None:
        return iter(stream)
    return iter(functools.partial(readline, limit), "")


@dataclass(slots=True, eq=False)
class _SourceReader:
    """Turn the lines of one source into records, counting what it meets."""

    name: str
    normalizer: RecordNormalizer
    selection: _Selection
    reporter: Reporter
    max_payload: int
    max_depth: int
    line: int = field(default=0, init=False)
    before: int = field(default=0, init=False)

    def records(self, stream: Iterable[str]) -> Iterator[ProvRecord]:
        """Yield the records of ``stream`` that the selection keeps; its lines are numbered from
        its ``first_line`` attribute when it has one (a part of a log), else from 1."""
        name, selection, stats = self.name, self.selection, self.reporter.stats
        normalize = self.normalizer.normalize
        quick = quick_record
        max_payload, max_depth = self.max_payload, self.max_depth
        timed, sessions = selection.timed, selection.sessions
        limit = max_payload + LINE_SLACK
        lines = bounded_lines(stream, limit)
        first = getattr(stream, "first_line", 1)
        self.line = self.before = first - 1
        for number, line in enumerate(lines, first):
            self.line = number
            if len(line) >= limit and not line.endswith("\n"):
                self._skip_long_line(line, lines, number, limit)
                continue
            first = line.find(PROV_PREFIX)
            if first < 0:
                continue
            second = line.find(PROV_PREFIX, first + _PREFIX_LEN)
            data = None
            if second > 0 and line.startswith('{"', second + _PREFIX_LEN):
                payload = line[second + _PREFIX_LEN :]
                if len(payload) <= max_payload:
                    data = quick(payload, max_depth)
            if data is not None:
                timestamp = line[first + _PREFIX_LEN : second]
                legacy = False
            else:
                found = self._decode_line(line, number)
                if found is None:
                    continue
                timestamp, data, legacy = found
            try:
                session = normalize(data, legacy)
            except ValueError as exc:
                self.reporter.problem(name, number, str(exc))
                continue
            record = ProvRecord(timestamp, data, name, number, session, legacy)
            if timed:
                moment = record.time
                if moment is None:
                    self.reporter.problem(name, number, f"invalid timestamp {timestamp[:40]!r}")
                    continue
                if not selection.in_window(moment):
                    stats.filtered += 1
                    continue
            if sessions is not None and session not in sessions:
                stats.filtered += 1
                continue
            stats.records += 1
            yield record

    def _skip_long_line(self, start: str, lines: Iterator[str], number: int, limit: int) -> None:
        """Read past the rest of a line longer than ``limit`` characters, one bounded piece at
        a time, and report it when it holds a ``_PROV_`` marker."""
        marked = PROV_PREFIX in start
        tail = start[-_PREFIX_LEN:]
        for piece in lines:
            marked = marked or PROV_PREFIX in tail + piece[:_PREFIX_LEN] or PROV_PREFIX in piece
            tail = piece[-_PREFIX_LEN:]
            if piece.endswith("\n"):
                break
        if marked:
            self.reporter.problem(self.name, number, f"line longer than {limit:,} characters "
                                  f"(payload limit {self.max_payload:,} characters)")

    def _decode_line(self, line: str, number: int) -> tuple[str, dict, bool] | None:
        """Decode a line the fast path declined: report why, recover what follows if it can.

        Returns
        -------
        tuple of (str, dict, bool) or None
            The timestamp, the payload and whether it is a Python literal; None when nothing
            on the line could be read.
        """
        first = line.find(PROV_PREFIX)
        second = line.find(PROV_PREFIX, first + _PREFIX_LEN)
        if second < 0:
            self.reporter.problem(self.name, number, f"no timestamp between {PROV_PREFIX} markers")
            return None
        try:
            data, legacy = self._decode(line[second + _PREFIX_LEN :])
        except ValueError as exc:
            found = self._recover(line, second + _PREFIX_LEN)
            if found is not None:
                reason = f"record cut short, another record follows on the same line: {exc}"
            elif not line.endswith("\n"):
                reason = f"last line cut short (no end of line): {exc}"
            else:
                reason = str(exc)
            self.reporter.problem(self.name, number, reason)
            if found is None:
                return None
            first, second, data, legacy = found
            self.reporter.stats.recovered += 1
        return line[first + _PREFIX_LEN : second], data, legacy

    def _decode(self, payload: str) -> tuple[dict, bool]:
        return decode_payload(payload.rstrip(), self.max_payload, self.max_depth)

    def _recover(self, line: str, start: int) -> tuple[int, int, dict, bool] | None:
        """Find a whole record after an unreadable one on the same line.

        A process killed in the middle of a write leaves a line without its end; the next
        process appending to the log continues that line with its own records.
        """
        for attempt, match in enumerate(RECORD_START.finditer(line, start)):
            if attempt >= _MAX_RECOVERY:
                break
            try:
                data, legacy = self._decode(line[match.end() - 1 :])
            except ValueError:
                continue
            return match.start(), match.end() - 1 - _PREFIX_LEN, data, legacy
        return None


def iter_records(
    sources: Source | Iterable[Source],
    *,
    start: TimeBound = None,
    end: TimeBound = None,
    sessions: Iterable[str] | None = None,
    strict: bool = False,
    stats: ReadStats | None = None,
    max_payload: int = DEFAULT_MAX_PAYLOAD,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_warnings: int = DEFAULT_MAX_WARNINGS,
) -> Iterator[ProvRecord]:
    """Yield the provenance records of one or more logs, line by line.

    Parameters
    ----------
    sources : str, path, stream or list of those
        Log files, glob patterns, ``.gz`` files, ``"-"`` for standard input, or open streams
        (a stream with a ``first_line`` attribute, the part of a log from that line on, has its
        lines numbered from there).
    start, end : str or datetime, optional
        Keep records whose line timestamp lies in ``[start, end]``; naive times are local.
    sessions : iterable of str, optional
        Keep only records of these sessions.
    strict : bool
        Raise `LogReadError` on the first unreadable record instead of skipping it.
    stats : ReadStats, optional
        Filled with counts and the problems met.
    max_payload : int
        Payloads longer than this many characters are skipped as unreadable.
    max_depth : int
        Payloads nested more deeply than this are skipped as unreadable.
    max_warnings : int
        Warnings issued per read before a single summary warning.

    Yields
    ------
    ProvRecord
        The records, normalised to the current shape (see `RecordNormalizer`).

    Raises
    ------
    LogReadError
        If a source does not exist or cannot be opened, or in strict mode on an unreadable
        record.
    """
    resolved = _resolve(sources)
    selection = _Selection(start, end, sessions)
    stats = stats if stats is not None else ReadStats()
    reporter = Reporter(stats, strict, max_warnings)
    records = _read_sources(resolved, selection, reporter, max_payload, max_depth)
    if any(kind.joins_paths for name, _ in resolved if os.path.isfile(name) for kind in kinds_of(name)):
        from ..ctapipe.joins import join_files

        records = join_files(records)
    yield from records
    reporter.summary()


def _read_sources(
    resolved: list[tuple[str, Opener]], selection: _Selection, reporter: Reporter, max_payload: int, max_depth: int
) -> Iterator[ProvRecord]:
    """Yield the records of the resolved sources, in order."""
    stats = reporter.stats
    normalizer = RecordNormalizer()
    for name, opener in resolved:
        stats.files.append(name)
        normalizer.new_source()
        try:
            context = opener()
        except OSError as exc:
            raise LogReadError(f"cannot open: {exc.strerror or exc}", name) from exc
        reader = _SourceReader(name, normalizer, selection, reporter, max_payload, max_depth)
        try:
            with context as stream:
                stats.stream = stream
                yield from reader.records(stream)
        except (OSError, EOFError, UnicodeDecodeError, zlib.error, MemoryError) as exc:
            reporter.problem(name, reader.line + 1, f"cannot read further: {str(exc) or type(exc).__name__}")
        finally:
            stats.lines += reader.line - reader.before
