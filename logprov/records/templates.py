"""Texts of the most frequent records, filled with ``%`` formatting on the path of a traced call.

Each template is the JSON text that `logprov.records.lines.dumps` writes for the same record,
built here from the key constants. Ids, times and UUIDs are inserted as they are (they never
need escaping); the other ``%s`` take JSON texts (`~logprov.records.lines.quote`,
`~logprov.records.lines.dumps`, `~logprov.records.lines.fragment`). A *tail* is a further run
of members (``,"function":…``) or "".
"""

from __future__ import annotations

import json
from typing import Final

from .keys import (
    ACTIVITY_ID, AGENT_NAME, DURATION, END_TIME, GENERATED_ID, IN_SESSION, NAME, PARAMETERS as _PARAMETERS,
    START_TIME, STATUS, USED_ID,
)

__all__ = ["START", "PARAMETERS", "USED", "GENERATED", "USED_DIGEST", "GENERATED_DIGEST", "END"]

#: A slot for a text inserted as it is, between quotes.
_PLAIN = '"%s"'
#: A slot for a JSON text.
_JSON = "%s"


def _template(*members: tuple[str, str], tail: bool = False) -> str:
    """Return the text of a JSON object of ``(key, slot)`` members, with a tail slot at its end."""
    body = ",".join(f"{json.dumps(key)}:{slot}" for key, slot in members)
    return "{" + body + ("%s" if tail else "") + "}"


#: Start: activity id, quoted name, start time, session id, quoted agent name, then a tail
#: (``,"function":…``, ``,"parent_activity_id":…``).
START: Final = _template(
    (ACTIVITY_ID, _PLAIN), (NAME, _JSON), (START_TIME, _PLAIN), (IN_SESSION, _PLAIN), (AGENT_NAME, _JSON), tail=True
)
#: Parameters: activity id, JSON object of the parameters.
PARAMETERS: Final = _template((ACTIVITY_ID, _PLAIN), (_PARAMETERS, _JSON))
#: Usage and generation: activity id, quoted entity id, role tail (``,"used_role":…`` or "").
USED: Final = _template((ACTIVITY_ID, _PLAIN), (USED_ID, _JSON), tail=True)
GENERATED: Final = _template((ACTIVITY_ID, _PLAIN), (GENERATED_ID, _JSON), tail=True)
#: The same for a content digest as entity id (hexadecimal, inserted as it is).
USED_DIGEST: Final = _template((ACTIVITY_ID, _PLAIN), (USED_ID, _PLAIN), tail=True)
GENERATED_DIGEST: Final = _template((ACTIVITY_ID, _PLAIN), (GENERATED_ID, _PLAIN), tail=True)
#: Successful end: activity id, end time, duration in seconds (a float, written with ``%r``).
END: Final = _template((ACTIVITY_ID, _PLAIN), (END_TIME, _PLAIN), (STATUS, '"success"'), (DURATION, "%r"))
