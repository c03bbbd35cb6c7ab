"""Relation templates turned into functions that fill them by joining their pieces.

A streamed relation is text with four holes: its subject, its target, its time and a blank
node number. `str.format` and ``%`` copy the template character by character for every
relation; `compile_template` cuts the template once into its literal pieces and fills it with
one `str.join`, which copies whole pieces.
"""

from __future__ import annotations

import operator
import string
from typing import Callable, List, Optional

__all__ = ["Fill", "compile_template"]

_FIELDS = ("0", "1", "2", "3")

Fill = Callable[[str, str, Optional[str], int], str]
"""``fill(subject, target, time, blank)`` returns the text of one relation."""


def compile_template(template: str) -> Fill:
    """Return a function filling ``template``.

    Parameters
    ----------
    template : str
        A `str.format` template of ``{0}`` (subject), ``{1}`` (target), ``{2}`` (time) and
        ``{3}`` (blank node number), each any number of times, without conversions or format
        specifications.

    Returns
    -------
    Fill
        ``fill(subject, target, time, blank)``, equal to
        ``template.format(subject, target, time, blank)``.
    """
    pieces: List[str] = [""]
    order: List[int] = [0]
    for literal, field, spec, conversion in string.Formatter().parse(template):
        if literal:
            order.append(len(pieces))
            pieces.append(literal)
        if field is not None:
            if spec or conversion or field not in _FIELDS:
                raise ValueError(f"unsupported field {{{field}}} in a relation template")
            order.append(-1 - int(field))
    segments = tuple(pieces)
    pick = operator.itemgetter(*(len(segments) - 1 - index if index < 0 else index for index in order))
    join = "".join

    def fill(subject: str, target: str, time: Optional[str], blank: int) -> str:
        return join(pick(segments + (subject, target, time, str(blank))))

    return fill
