"""What each known key of a record may hold.

Ids are strings (the integer ids of logprov 0.0.2 become strings), times and names are
strings, the facts of a session, the parameters of an activity and the attributes of a note
are objects, the reference metadata of a file an object or its JSON text, sizes and exit codes
integers, durations numbers, ``untraced`` a boolean. The
``type``, ``entity_description`` and ``value`` of an entity, and the keys a reader does not
know, may hold any value. A ``null`` under a known key stands for a value left out.

A record with a known key holding anything else is damaged: `settle` says which key and what
it holds, and the reader skips the record as it skips a line it cannot decode.
"""

from __future__ import annotations

from typing import Any, Final, Mapping

from .keys import (
    AGENT_NAME, ATTRIBUTES, CLASS, CODE, CONFIG, CONTAINER, CONTENT_TYPE, DEFINITIONS, DESCRIPTION, DIGEST,
    DURATION, END_TIME, EXCEPTION_MESSAGE, EXCEPTION_TYPE, EXIT_CODE, FUNCTION, GENERATED_ROLE, GENERATED_TIME, GIT,
    HASH, HASH_TYPE, ID_KEYS, ID_SCHEME, IDENTIFIED_BY, JOB, KNOWN_KEYS, LOCATION, LOGPROV_VERSION, MODIFIER,
    MODULE, NAME, NOTE, PACKAGES, PARAMETERS, PRODUCT_ID, REFERENCE_META, SIZE, START_TIME, STATUS, SYSTEM, TIME,
    UNTRACED, USED_ROLE,
)
from .lines import dumps

__all__ = ["HOLDS", "NOT_TEXT", "settle"]

_TEXT: Final = frozenset({str})
_OBJECT: Final = frozenset({dict})
_INTEGER: Final = frozenset({int})
_NUMBER: Final = frozenset({int, float})
_FLAG: Final = frozenset({bool})

#: The classes of value each key holds as it is read (ids: strings; an integer id is turned into
#: a string by `settle`); the keys not named here may hold any value.
HOLDS: Final[Mapping[str, frozenset[type]]] = {
    **dict.fromkeys(ID_KEYS, _TEXT),
    **dict.fromkeys((START_TIME, END_TIME, GENERATED_TIME, TIME), _TEXT),
    **dict.fromkeys(
        (NAME, MODULE, CLASS, AGENT_NAME, LOGPROV_VERSION, HASH_TYPE, FUNCTION, STATUS, EXCEPTION_TYPE,
         EXCEPTION_MESSAGE, USED_ROLE, GENERATED_ROLE, LOCATION, HASH, CONTENT_TYPE, DESCRIPTION, ID_SCHEME, DIGEST,
         IDENTIFIED_BY, PRODUCT_ID, NOTE),
        _TEXT,
    ),
    **dict.fromkeys((SYSTEM, PACKAGES, GIT, DEFINITIONS, CONFIG, JOB, CONTAINER, CODE, PARAMETERS, ATTRIBUTES),
                    _OBJECT),
    REFERENCE_META: frozenset({dict, str}),
    SIZE: _INTEGER,
    EXIT_CODE: _INTEGER,
    MODIFIER: _INTEGER,
    DURATION: _NUMBER,
    UNTRACED: _FLAG,
}
#: The keys whose values may not be strings.
NOT_TEXT: Final = frozenset(key for key, classes in HOLDS.items() if str not in classes)
_ID_KEY_SET: Final = frozenset(ID_KEYS)
_WORDS: Final[Mapping[type, str]] = {
    str: "a string", dict: "an object", list: "an array", int: "an integer", float: "a number", bool: "a boolean",
}
_SHOWN = 40


def _what(classes: frozenset[type]) -> str:
    if classes is _NUMBER:
        return "a number"
    return " or ".join(sorted(_WORDS[kind] for kind in classes))


def _shown(value: Any) -> str:
    text = dumps(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def settle(data: dict[Any, Any]) -> None:
    """Check that every known key of ``data`` holds what it may, in place: ``null`` values of
    known keys are dropped and integer ids turned into strings.

    Parameters
    ----------
    data : dict
        A decoded payload.

    Raises
    ------
    ValueError
        If a known key holds another kind of value: the message names the key, what it holds
        and what it may hold. ``data`` is then left as it was.

    Notes
    -----
    Most records need no settling: each of their keys holds a string (under a key that
    `NOT_TEXT` does not name) or a value of a class that `HOLDS` gives the key (any value but
    ``null`` under a known key it does not name). `logprov.records.legacy.RecordNormalizer`
    looks for that first, on every record read, and calls this function for the others only.
    """
    empty, ids = [], []
    for key, value in data.items():
        if value is None:
            if key in KNOWN_KEYS:
                empty.append(key)
            continue
        classes = HOLDS.get(key)
        if classes is None or value.__class__ in classes:
            continue
        if value.__class__ is int and key in _ID_KEY_SET:
            ids.append(key)
        else:
            kind = _WORDS.get(value.__class__, f"a {type(value).__name__}")
            raise ValueError(f"{key!r} holds {kind} ({_shown(value)}), not {_what(classes)}")
    for key in empty:
        del data[key]
    for key in ids:
        data[key] = str(data[key])
