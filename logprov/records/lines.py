"""How a record is one line of a log: ``_PROV_<time>_PROV_<JSON>``.

Encoding: the JSON text of a record (`dumps`, `quote`, `fragment`), with every ``_PROV_`` in it
escaped (`escape_markers`) so that a line holds its two markers only, after the line head
(`line_head`). Decoding: the payload after the second marker (`decode_payload`), JSON or a
Python literal of logprov 0.0.2, with bounds on what decoding may cost.
"""

from __future__ import annotations

import ast
import json
import math
import re
from typing import Any, Callable, Final, Iterable, Iterator, Sequence

__all__ = [
    "PROV_PREFIX", "PROV_BYTES", "RECORD_START", "DEFAULT_MAX_PAYLOAD", "DEFAULT_MAX_DEPTH", "MAX_LITERAL_TOKENS",
    "MAX_LITERAL_ARITHMETIC", "finite_data", "dumps", "quote", "fragment", "escape_markers", "has_marker",
    "line_head", "encode_line", "record_lines", "may_hold_long_integer", "json_loads", "quick_record", "check_literal_cost", "decode_payload",
    "parse_line",
]

#: The marker written before and after the time of a record line.
PROV_PREFIX: Final = "_PROV_"
#: The marker as bytes, to look for in the head of a file.
PROV_BYTES: Final = PROV_PREFIX.encode("ascii")
#: The start of a JSON record line: the markers around an ISO time, then ``{``.
RECORD_START: Final = re.compile(r"_PROV_(\d{4}-\d\d-\d\d[^_{}\n]{0,40})_PROV_\{")
#: Longest payload decoded, in characters.
DEFAULT_MAX_PAYLOAD: Final = 10 * 1024 * 1024
#: Deepest nesting of containers decoded (the payload itself is level 1).
DEFAULT_MAX_DEPTH: Final = 100
#: Separators and operators of a Python-literal payload, at most: ``ast.literal_eval`` costs
#: about a kilobyte of memory per token.
MAX_LITERAL_TOKENS: Final = 100_000
#: ``+`` and ``j`` (complex numbers) of a Python-literal payload, at most.
MAX_LITERAL_ARITHMETIC: Final = 1_000

_MARKER_START = re.compile(r"_(?=PROV_)")
_STRING_LITERAL = re.compile(r"'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\"")


# Encoding


def _json_default(value: Any) -> str:
    return repr(value)


def _stdlib_dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_json_default)


def finite_data(value: Any) -> bool:
    """Tell whether ``value`` is JSON data (dicts, lists, tuples, strings, numbers, booleans,
    None) without NaN or infinity, in its keys or its values.

    orjson writes such floats as ``null``, where :mod:`json` writes ``NaN``, ``Infinity`` and
    ``-Infinity``.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, (str, int)) or item is None:
            continue
        if isinstance(item, float):
            if not math.isfinite(item):
                return False
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        else:
            return False
    return True


def _select_dumps() -> Callable[[Any], str]:
    try:
        import orjson
    except ImportError:
        return _stdlib_dumps

    encode = orjson.dumps

    def fast_dumps(record: Any) -> str:
        try:
            text = encode(record, default=_json_default)
        except (TypeError, orjson.JSONEncodeError):
            return _stdlib_dumps(record)
        if b"null" in text and not finite_data(record):
            return _stdlib_dumps(record)
        return text.decode()

    return fast_dumps


def _from_orjson(name: str) -> Any:
    """Return the function ``name`` of orjson, or None when orjson is not installed."""
    try:
        import orjson
    except ImportError:
        return None
    return getattr(orjson, name)


#: Return the compact JSON text of a record (``repr`` for values JSON cannot hold): with orjson
#: when it is installed, the same JSON data as :mod:`json` writes (integers beyond 64 bits, NaN,
#: infinities and keys that are not strings are written by :mod:`json`).
dumps: Final = _select_dumps()
_encode_text: Final[Callable[[str], bytes] | None] = _from_orjson("dumps")


def quote(text: str) -> str:
    """Return ``text`` as a JSON string literal."""
    if _encode_text is not None:
        try:
            return _encode_text(text).decode()
        except TypeError:
            pass
    return _stdlib_dumps(text)


def fragment(mapping: dict[str, Any]) -> str:
    """Return the keys of ``mapping`` as JSON object members to follow other members:
    ``,"key":value,…``, or "" for an empty mapping."""
    return "," + dumps(mapping)[1:-1] if mapping else ""


def escape_markers(text: str) -> str:
    """Return the JSON text ``text`` with no ``_PROV_`` in it.

    The ``_`` that starts each ``_PROV_`` is written as the JSON escape ``\\u005f``: a
    ``_PROV_`` can only stand inside a string of a JSON text, where the escape decodes to the
    same string, so the record reads back unchanged and its line holds only its two markers.
    """
    return _MARKER_START.sub(r"\\u005f", text)


def has_marker(texts: Sequence[str]) -> bool:
    """Return True when one of ``texts`` holds ``_PROV_``.

    The same as ``any(PROV_PREFIX in text for text in texts)``, faster on the texts of traced
    calls: a capital ``V`` is rare in them and looked for first, in one scan of all the texts.
    """
    return "V" in "".join(texts) and any(PROV_PREFIX in text for text in texts)


def line_head(timestamp: str) -> str:
    """Return what comes before the JSON text of a record logged at ``timestamp``."""
    return PROV_PREFIX + timestamp + PROV_PREFIX


def encode_line(timestamp: str, record: dict[str, Any]) -> str:
    """Return the line of ``record`` logged at ``timestamp`` (without logging prefix or line end)."""
    return line_head(timestamp) + escape_markers(dumps(record))


def record_lines(records: Iterable[Sequence[Any]]) -> Iterator[str]:
    """Yield ``(timestamp, payload)`` pairs as lines of a logprov log (with their line ends),
    for the kinds of sources that build records from another format."""
    for timestamp, payload in records:
        yield encode_line(timestamp, payload) + "\n"


# Decoding


#: orjson's ``loads`` when it is installed, else None.
_orjson_loads: Final[Callable[[str], Any] | None] = _from_orjson("loads")
#: Every byte of UTF-8 text as ``0`` for a digit, ``{`` for an opening bracket (``{`` or ``[``)
#: and a space for anything else (a table of bytes.translate): the bytes of other characters
#: than ASCII are never digits nor brackets.
_DIGITS_AND_OPENINGS: Final = bytes(
    48 if 48 <= code <= 57 else 123 if code in (91, 123) else 32 for code in range(256)
)
#: Nineteen digits in a row: the shortest integer that may lie outside 64 bits (-2**63 - 1).
_LONG_NUMBER: Final = b"0" * 19


def _scanned(text: str) -> bytes:
    """Return ``text`` as UTF-8 bytes translated by `_DIGITS_AND_OPENINGS`."""
    return text.encode("utf-8", "surrogatepass").translate(_DIGITS_AND_OPENINGS)


def may_hold_long_integer(text: str) -> bool:
    """Tell whether the JSON text ``text`` may hold an integer outside 64 bits, which orjson
    reads as a float: True when it has 19 digits in a row anywhere (also inside a string)."""
    return _LONG_NUMBER in _scanned(text)


def json_loads(text: str) -> Any:
    """Decode the JSON text ``text`` as :func:`json.loads` does, with orjson when it reads the
    text exactly.

    orjson refuses ``NaN``, ``Infinity``, lone surrogates and very deep nesting, and reads
    integers outside 64 bits as floats: texts that orjson refuses or that
    `may_hold_long_integer` are decoded by :mod:`json`.

    Raises
    ------
    ValueError
        If ``text`` is not JSON.
    """
    if _orjson_loads is not None and not may_hold_long_integer(text):
        try:
            return _orjson_loads(text)
        except (ValueError, RecursionError):
            pass
    return json.loads(text)


def quick_record(text: str, max_depth: int) -> dict[str, Any] | None:
    """Decode the JSON text of a record on the quick path of reading, or return None to leave
    it to `decode_payload`.

    The same as ``json.loads(text)`` when that is a dict nested at most ``max_depth`` levels
    deep, read by orjson when it reads ``text`` exactly (see `json_loads`). None when the text
    is not JSON or orjson refuses it, when the value is not a dict, and when ``text`` holds
    more than ``max_depth`` opening brackets and is long enough to be nested more deeply (a
    depth of ``d`` takes ``2 d`` characters). One scan of the text answers both questions.
    """
    scanned = _scanned(text)
    loads = _orjson_loads if _orjson_loads is not None and _LONG_NUMBER not in scanned else json.loads
    try:
        data = loads(text)
    except (ValueError, RecursionError, MemoryError):
        return None
    if data.__class__ is not dict or (len(scanned) > 2 * max_depth and scanned.count(b"{") > max_depth):
        return None
    result: dict[str, Any] = data
    return result


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


def _literal_first(text: str) -> tuple[Any, bool]:
    try:
        check_literal_cost(text)
    except ValueError:
        try:
            return json_loads(text), False
        except (ValueError, RecursionError):
            pass
        raise
    try:
        return ast.literal_eval(text), True
    except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError) as exc:
        try:
            return json_loads(text), False
        except (ValueError, RecursionError):
            raise ValueError(f"not a Python literal: {_reason(exc)}") from None


def _json_first(text: str) -> tuple[Any, bool]:
    try:
        return json_loads(text), False
    except (ValueError, RecursionError) as exc:
        try:
            return _literal_eval(text), True
        except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError):
            raise ValueError(f"not JSON: {_reason(exc)}") from None


def _reason(exc: BaseException) -> str:
    """Return why ``exc`` says a payload could not be decoded, in one line: for a syntax error of
    a Python literal, its message and the character it was found at."""
    if isinstance(exc, SyntaxError) and exc.msg:
        return exc.msg if exc.offset is None else f"{exc.msg}, at character {exc.offset}"
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__


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
) -> tuple[dict[Any, Any], bool]:
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


def parse_line(line: str) -> dict[str, Any] | None:
    """Return the JSON record of one ``_PROV_`` line, or None for any other line."""
    start = line.find(PROV_PREFIX)
    if start < 0:
        return None
    second = line.find(PROV_PREFIX, start + len(PROV_PREFIX))
    if second < 0:
        return None
    record: dict[str, Any] = json.loads(line[second + len(PROV_PREFIX):])
    return record
