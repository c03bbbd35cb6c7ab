"""An activity in progress: a traced call or a block logged with `ProvCapture.activity`."""

from __future__ import annotations

import contextvars
import time
from typing import Any

from .plans import ActivityPlan, EntityPlan
from .scope import CallScope
from .sessions import Session

__all__ = ["Run", "Input"]

_clock = time.perf_counter

#: A used entity to look at again when the call ends: its plan, its id and the value it was.
Input = tuple[EntityPlan, str, Any]


class Run:
    """An activity in progress.

    ``plan`` and ``scope`` are those of a traced call (None for a block). ``pending`` holds the
    start batch while it is held back; whoever writes it takes it with one atomic
    ``list.pop``, so it is written exactly once.
    """

    __slots__ = ("activity_id", "name", "session", "scope", "started", "token", "plan", "inputs", "pending", "within",
                 "products")

    def __init__(self, activity_id: str, name: str, session: Session, scope: CallScope | None,
                 plan: ActivityPlan | None) -> None:
        self.activity_id = activity_id
        self.name = name
        self.session = session
        self.scope = scope
        self.plan = plan
        self.started = _clock()
        self.token: contextvars.Token[Run | None] | None = None
        #: Used entities to look at again when the call ends (``check_modified_inputs``).
        self.inputs: list[Input] = []
        self.pending: list[tuple[str, list[str]]] = []
        #: Id of the activity this one runs inside (its parent), or None.
        self.within: str | None = None
        #: Paths of the files generated whose lineage is embedded when the call ends.
        self.products: list[str] = []
