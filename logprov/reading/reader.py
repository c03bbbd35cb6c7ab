"""Read provenance records from logs: files, glob patterns, ``.gz`` files and streams.

A record is a line holding ``_PROV_<timestamp>_PROV_<payload>`` (see ``docs/records.md``). The
payload is JSON, or a Python literal in logs of logprov 0.0.2, which are normalised here into
the current record shape.
"""

from __future__ import annotations

import ast
import datetime
import functools
import io
import json
import os
import re
import sys
import warnings
import zlib
from dataclasses import dataclass, field
from typing import IO, Any, Callable, ContextManager, Iterable, Iterator, List, Tuple, Union

from ..errors import LogReadError
from .kinds import kinds_of, open_source
from .sources import STDIN, resolve_paths

try:
    from orjson import loads as _fast_loads
except ImportError:
    _fast_loads = None

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
    "read_prov",
    "source_names",
]

PROV_PREFIX = "_PROV_"
DEFAULT_MAX_PAYLOAD = 10 * 1024 * 1024
DEFAULT_MAX_DEPTH = 100
DEFAULT_MAX_WARNINGS = 10
_PREFIX_LEN = len(PROV_PREFIX)
#: Characters a line may hold besides its payload (the logging prefix, the timestamp).
LINE_SLACK = 64 * 1024
#: Separators and operators of a Python-literal payload, at most: ``ast.literal_eval`` costs
#: about a kilobyte of memory per token.
MAX_LITERAL_TOKENS = 100_000
#: ``+`` and ``j`` (complex numbers) of a Python-literal payload, at most.
MAX_LITERAL_ARITHMETIC = 1_000
_STRING_LITERAL = re.compile(r"'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\"")
_MAX_RECOVERY = 16
_RECORD_START = re.compile(r"_PROV_(\d{4}-\d\d-\d\d[^_{}\n]{0,40})_PROV_\{")

Source = Union[str, "os.PathLike[str]", IO[str], IO[bytes]]
TimeBound = Union[str, datetime.datetime, None]

ID_KEYS = (
    "session_id",
    "in_session",
    "activity_id",
    "parent_activity_id",
    "entity_id",
    "used_id",
    "generated_id",
    "member_id",
    "progenitor_id",
)

KNOWN_KEYS = frozenset(
    ID_KEYS
    + (
        "startTime", "endTime", "name", "module", "class", "agent_name", "logprov_version",
        "hash_type", "system", "packages", "git", "definitions", "config", "function",
        "parameters", "entity_description", "type", "location", "value", "hash", "contentType",
        "description", "size", "id_scheme", "digest", "used_role", "generated_role", "generated_time",
        "untraced", "status", "duration", "exception_type", "exception_message", "modifier",
        "identified_by", "product_id", "reference_meta", "exit_code", "job", "container",
    )
)


class LogReadWarning(UserWarning):
    """A line of a provenance log could not be decoded and was skipped."""


def parse_time(value: str | datetime.datetime) -> datetime.datetime:
    """Return ``value`` as an aware datetime; naive times are taken as local time.

    Parameters
    ----------
    value : str or datetime.datetime
        An ISO 8601 time (``Z`` accepted for UTC) or a datetime.

    Returns
    -------
    datetime.datetime
        A timezone-aware datetime.

    Raises
    ------
    ValueError
        If ``value`` is not an ISO 8601 time.
    """
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        moment = datetime.datetime.fromisoformat(text)
    else:
        raise ValueError(f"not a time: {value!r}")
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        moment = moment.astimezone()
    return moment


class ProvRecord:
    """One provenance record read from a log.

    Attributes
    ----------
    timestamp : str
        The time written between the two ``_PROV_`` markers, as it stands in the log.
    data : dict
        The decoded payload, in the current record shape.
    source : str
        Name of the log it was read from.
    line : int
        Its 1-based line number in ``source``.
    session : str or None
        The session the record belongs to, when it is known.
    legacy : bool
        True when the payload was a Python literal (logprov 0.0.2).
    """

    __slots__ = ("timestamp", "data", "source", "line", "session", "legacy", "_time")

    def __init__(
        self,
        timestamp: str,
        data: dict,
        source: str,
        line: int,
        session: str | None = None,
        legacy: bool = False,
    ) -> None:
        self.timestamp = timestamp
        self.data = data
        self.source = source
        self.line = line
        self.session = session
        self.legacy = legacy
        self._time: datetime.datetime | None = None

    @property
    def time(self) -> datetime.datetime | None:
        """The timestamp as an aware datetime (naive legacy times are local), None if invalid."""
        if self._time is None:
            try:
                self._time = parse_time(self.timestamp)
            except ValueError:
                return None
        return self._time

    def __repr__(self) -> str:
        return f"ProvRecord({self.source}:{self.line}, {self.timestamp}, {self.data!r})"


@dataclass
class ReadStats:
    """What a read found.

    Attributes
    ----------
    records : int
        Records yielded.
    skipped : int
        ``_PROV_`` lines that could not be decoded.
    recovered : int
        Records found after an unreadable one on the same line (a line cut short by a crash,
        to which the next process appended its records).
    filtered : int
        Records left out by the time window or the session filter.
    lines : int
        Lines read.
    files : list of str
        Sources read, in order.
    problems : list of (str, int, str)
        ``(source, line, reason)`` of the first ``max_problems`` skipped lines.
    max_problems : int
        How many problems are kept.
    stream : file-like or None
        The text stream of the source being read (for progress bars).
    """

    records: int = 0
    skipped: int = 0
    recovered: int = 0
    filtered: int = 0
    lines: int = 0
    files: List[str] = field(default_factory=list)
    problems: List[Tuple[str, int, str]] = field(default_factory=list)
    max_problems: int = 100
    stream: Any = field(default=None, repr=False, compare=False)

    def add_problem(self, source: str, line: int, reason: str) -> None:
        """Count a skipped line and keep its description while there is room."""
        self.skipped += 1
        if len(self.problems) < self.max_problems:
            self.problems.append((source, line, reason))


def _json_loads(text: str) -> Any:
    if _fast_loads is not None:
        try:
            return _fast_loads(text)
        except (ValueError, RecursionError):
            pass
    return json.loads(text)


def check_literal_cost(text: str) -> None:
    """Raise ValueError when evaluating the Python literal ``text`` would cost too much.

    Outside its string literals, ``text`` may hold at most `MAX_LITERAL_TOKENS` separators and
    operators (``, : + - ( [ {``) and at most `MAX_LITERAL_ARITHMETIC` ``+`` signs and complex
    numbers (``j``): `ast.literal_eval` builds a syntax tree of the whole text first.
    """
    bare = _STRING_LITERAL.sub("''", text)
    arithmetic = bare.count("+") + bare.count("j")
    if arithmetic > MAX_LITERAL_ARITHMETIC:
        raise ValueError(f"Python literal with more than {MAX_LITERAL_ARITHMETIC} additions or complex numbers")
    tokens = sum(bare.count(mark) for mark in ",:+-([{")
    if tokens > MAX_LITERAL_TOKENS:
        raise ValueError(f"Python literal with more than {MAX_LITERAL_TOKENS} tokens")


def _literal_eval(text: str) -> Any:
    check_literal_cost(text)
    return ast.literal_eval(text)


def _literal_first(text: str) -> Any:
    try:
        check_literal_cost(text)
    except ValueError:
        try:
            return _json_loads(text), False
        except (ValueError, RecursionError):
            pass
        raise
    try:
        return ast.literal_eval(text), True
    except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError):
        return _json_loads(text), False


def _json_first(text: str) -> Any:
    try:
        return _json_loads(text), False
    except (ValueError, RecursionError):
        return _literal_eval(text), True


def _too_deep(data: Any, limit: int) -> bool:
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
            stack.extend((key, depth + 1) for key in value if isinstance(key, (tuple, frozenset)))
        elif isinstance(value, (list, tuple, set, frozenset)):
            stack.extend((item, depth + 1) for item in value)
    return False


def decode_payload(
    text: str, max_size: int = DEFAULT_MAX_PAYLOAD, max_depth: int = DEFAULT_MAX_DEPTH
) -> tuple[dict, bool]:
    """Decode the payload of a record: JSON, or a Python literal of logprov 0.0.2.

    Parameters
    ----------
    text : str
        What follows the second ``_PROV_`` marker.
    max_size : int
        Longest payload accepted, in characters.
    max_depth : int
        Deepest nesting of containers accepted (the payload itself is level 1).

    Returns
    -------
    tuple of (dict, bool)
        The payload and whether it was a Python literal.

    Raises
    ------
    ValueError
        If the payload is too long or too deeply nested, cannot be decoded or is not a
        mapping.

    Notes
    -----
    Python literals are read with `ast.literal_eval`, which only builds literals: nothing in
    a payload is ever executed. Their cost is bounded first (see `check_literal_cost`).
    """
    if len(text) > max_size:
        raise ValueError(f"payload longer than {max_size} characters")
    if not text.startswith("{"):
        raise ValueError("payload is not a mapping (no '{' after the timestamp)")
    decode = _json_first if text.startswith('{"') else _literal_first
    try:
        data, legacy = decode(text)
    except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ValueError(f"cannot decode payload ({reason[:120]})") from None
    if not isinstance(data, dict):
        raise ValueError(f"payload is a {type(data).__name__}, not a mapping")
    brackets = text.count("{") + text.count("[") + text.count("(")
    if brackets > max_depth and _too_deep(data, max_depth):
        raise ValueError(f"payload nested more than {max_depth} levels deep")
    return data, legacy


_ID_KEY_SET = frozenset(ID_KEYS)


def _is_uuid(text: str) -> bool:
    return len(text) == 36 and text[8] == text[13] == text[18] == text[23] == "-"


def _fix_ids(data: dict) -> None:
    """Drop the ``null`` ids of ``data`` and turn the others into strings."""
    for key in ID_KEYS:
        value = data.get(key)
        if value is None:
            data.pop(key, None)
        elif not isinstance(value, str):
            data[key] = str(value)


class RecordNormalizer:
    """Bring records into the current shape and attribute them to their session.

    Integer ids become strings, ``null`` ids (and every ``null`` of 0.0.2 records) are
    dropped, the 0.0.2 quirk ``{…, 7762…: 7762…}`` becomes ``entity_id``, and activity ids
    that are not UUIDs (the 6-digit ids of 0.0.2, unique only within a session) are qualified
    as ``<session>.<id>``.
    A record belongs to the session named by ``session_id`` or ``in_session``, else to the
    session of its activity, else (legacy records only) to the last session seen in the source.
    Normalising a record twice changes nothing.
    """

    __slots__ = ("current", "activities")

    def __init__(self) -> None:
        self.current: str | None = None
        self.activities: dict[str, str | None] = {}

    def new_source(self) -> None:
        """Forget the current session: the next source starts afresh."""
        self.current = None

    def normalize(self, data: dict, legacy: bool | None = None) -> str | None:
        """Normalise ``data`` in place and return its session id.

        Parameters
        ----------
        data : dict
            A decoded payload.
        legacy : bool or None
            True for a 0.0.2 payload, False for a JSON one, None when unknown.

        Returns
        -------
        str or None
            The session of the record, if known.
        """
        for key, value in data.items():
            if value.__class__ is not str and key in _ID_KEY_SET:
                _fix_ids(data)
                break
        if legacy is not False:
            self._fix_legacy(data)
        session = data.get("session_id")
        if session is not None:
            self.current = session
            return session
        session = data.get("in_session")
        activity = data.get("activity_id")
        if activity is None:
            if session is not None:
                return session
            return self.current if legacy is not False else None
        if session is not None:
            self.current = session
        else:
            session = self.activities.get(activity)
            if session is None and legacy is not False:
                session = self.current
        if "startTime" in data or "name" in data:
            self.activities[activity] = session
        if session is not None:
            if not _is_uuid(activity):
                data["activity_id"] = self.qualify_activity(activity, session)
            parent = data.get("parent_activity_id")
            if parent is not None and not _is_uuid(parent):
                data["parent_activity_id"] = self.qualify_activity(parent, session)
        if "endTime" in data:
            self.activities.pop(activity, None)
        return session

    @staticmethod
    def qualify_activity(activity: str, session: str) -> str:
        """Return ``activity`` qualified with ``session`` unless it is a UUID or already is."""
        if _is_uuid(activity) or activity.startswith(session + "."):
            return activity
        return f"{session}.{activity}"

    @staticmethod
    def _fix_legacy(data: dict) -> None:
        empty = [key for key, value in data.items() if value is None]
        for key in empty:
            del data[key]
        if "entity_id" in data or "activity_id" in data or "session_id" in data:
            return
        for key, value in data.items():
            if (
                isinstance(key, (int, str))
                and not isinstance(key, bool)
                and key == value
                and key not in KNOWN_KEYS
            ):
                del data[key]
                data["entity_id"] = str(key)
                return


class _Reporter:
    """Count, warn about or raise for unreadable lines."""

    __slots__ = ("stats", "strict", "max_warnings", "warned")

    def __init__(self, stats: ReadStats, strict: bool, max_warnings: int) -> None:
        self.stats = stats
        self.strict = strict
        self.max_warnings = max_warnings
        self.warned = 0

    def problem(self, source: str, line: int, reason: str) -> None:
        if self.strict:
            raise LogReadError(reason, source, line)
        self.stats.add_problem(source, line, reason)
        if self.warned < self.max_warnings:
            self.warned += 1
            warnings.warn(f"{source}:{line}: skipped: {reason}", LogReadWarning, stacklevel=4)

    def summary(self) -> None:
        hidden = self.stats.skipped - self.warned
        if hidden > 0:
            warnings.warn(
                f"{hidden} more unreadable provenance lines skipped "
                f"({self.stats.skipped} in all); see ReadStats.problems",
                LogReadWarning,
                stacklevel=3,
            )


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
            resolved.append((name, lambda stream=source: _text_stream(stream)))
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


class _SourceReader:
    """Turn the lines of one source into records, counting what it meets."""

    __slots__ = ("name", "normalizer", "selection", "reporter", "max_payload", "max_depth", "line")

    def __init__(
        self,
        name: str,
        normalizer: RecordNormalizer,
        selection: _Selection,
        reporter: _Reporter,
        max_payload: int,
        max_depth: int,
    ) -> None:
        self.name = name
        self.normalizer = normalizer
        self.selection = selection
        self.reporter = reporter
        self.max_payload = max_payload
        self.max_depth = max_depth
        self.line = 0

    def records(self, stream: Iterable[str]) -> Iterator[ProvRecord]:
        """Yield the records of ``stream`` that the selection keeps."""
        name, selection, stats = self.name, self.selection, self.reporter.stats
        normalize = self.normalizer.normalize
        loads = _fast_loads or json.loads
        max_payload, max_depth = self.max_payload, self.max_depth
        timed, sessions = selection.timed, selection.sessions
        limit = max_payload + LINE_SLACK
        lines = bounded_lines(stream, limit)
        for number, line in enumerate(lines, 1):
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
                    try:
                        data = loads(payload)
                    except (ValueError, RecursionError, MemoryError):
                        data = None
                    if data.__class__ is not dict or (
                        len(payload) > max_depth and payload.count("{") + payload.count("[") > max_depth
                    ):
                        data = None
            if data is not None:
                timestamp = line[first + _PREFIX_LEN : second]
                legacy = False
            else:
                found = self._decode_line(line, number)
                if found is None:
                    continue
                timestamp, data, legacy = found
            session = normalize(data, legacy)
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
            self.reporter.problem(self.name, number, "no timestamp between _PROV_ markers")
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
        for attempt, match in enumerate(_RECORD_START.finditer(line, start)):
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
        Log files, glob patterns, ``.gz`` files, ``"-"`` for standard input, or open streams.
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
    reporter = _Reporter(stats, strict, max_warnings)
    records = _read_sources(resolved, selection, reporter, max_payload, max_depth)
    if any(kind.joins_paths for name, _ in resolved if os.path.isfile(name) for kind in kinds_of(name)):
        from ..ctapipe.joins import join_paths

        records = join_paths(records)
    yield from records
    reporter.summary()


def _read_sources(
    resolved: list[tuple[str, Opener]], selection: _Selection, reporter: _Reporter, max_payload: int, max_depth: int
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
            stats.lines += reader.line


def read_prov(
    logname: Source | Iterable[Source] = "prov.log",
    start: TimeBound = None,
    end: TimeBound = None,
) -> list[dict]:
    """Return the payloads of the provenance records of a log (logprov 0.0.2 interface).

    Parameters
    ----------
    logname : str, path, stream or list of those
        The log(s), as accepted by `iter_records`.
    start, end : str or datetime, optional
        Time window on the line timestamps.

    Returns
    -------
    list of dict
        The normalised payloads, in log order.
    """
    return [record.data for record in iter_records(logname, start=start, end=end)]
