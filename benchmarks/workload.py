"""The traced-method workload shared by the capture benchmarks."""

from __future__ import annotations

import os
from typing import Any

__all__ = ["DEFINITIONS", "work_class", "make_capture", "call_process"]

DEFINITIONS = {
    "activities": {
        "process": {
            "description": "Combine a and b into c and d",
            "parameters": [
                {"name": "alpha", "value": "kwargs.alpha"},
                {"name": "beta", "value": "kwargs.beta"},
            ],
            "usage": [{"role": "a", "value": "a"}, {"role": "b", "value": "b"}],
            "generation": [{"role": "c", "value": "c"}, {"role": "d", "value": "d"}],
        },
    },
}


def work_class() -> type:
    """Return a new class with a ``process`` method reading ``a``, ``b`` and setting ``c``, ``d``.

    Every call returns a distinct class object with the same code, so a traced and an
    untraced copy can be compared (tracing a subclass would also wrap the inherited methods).
    """

    class Work:
        def __init__(self) -> None:
            self.a = [1, 2, 3]
            self.b = {"x": 1.5, "y": "text"}
            self.c = None
            self.d = None

        def process(self, alpha: int = 1, beta: int = 2) -> None:
            self.c = [value * alpha for value in self.a]
            self.d = {"sum": beta + len(self.b)}

    return Work


def make_capture(folder: str, definitions: Any = None, **config: Any):
    """Return a `logprov.ProvCapture` logging to ``folder/prov.log`` with the default handler."""
    from logprov import ProvCapture

    options = {"log_filename": os.path.join(folder, "prov.log")}
    options.update(config)
    return ProvCapture(definitions=DEFINITIONS if definitions is None else definitions, config=options)


def call_process(instance: Any):
    """Return ``f(i)`` calling ``instance.process(alpha=i, beta=2)``, for the timing loops."""
    method = instance.process
    return lambda i: method(alpha=i, beta=2)
