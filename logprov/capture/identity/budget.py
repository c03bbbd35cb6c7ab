"""What one value digest may spend, and the signals it raises when it cannot go on."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["UnidentifiableValue", "OverTime", "Budget", "SECONDS_PER_ITEM"]

#: Nominal time to walk one item of a container or one object: the time budget of a digest is
#: a number of such steps, so that whether it runs out depends on the value alone.
SECONDS_PER_ITEM = 1e-7


class UnidentifiableValue(Exception):
    """A value whose state cannot be serialised canonically."""


class OverTime(Exception):
    """The time budget of a digest ran out."""


class Budget:
    """What one digest may still spend: ``left`` bytes of buffers read in full and ``steps``
    items of containers and objects walked (`OverTime` is raised when they run out).
    ``sampled`` tells that a buffer was sampled; with ``summarise``, containers are represented
    by their length alone; ``json_tried`` is the container already found not to be plain JSON
    data; ``buffers`` holds the array data digests shared with other digests (`ValueDigester.digest`)."""

    __slots__ = ("left", "steps", "sampled", "summarise", "json_tried", "buffers")

    def __init__(self, left: int, steps: float = math.inf) -> None:
        self.left = left
        self.steps = steps
        self.sampled = False
        self.summarise = False
        self.json_tried: Any = None
        self.buffers: dict[int, tuple[Any, bytes]] | None = None
