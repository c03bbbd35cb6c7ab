"""Alpaca: the workload as a function decorated with ``Provenance(inputs=["a", "b"])``.

Alpaca records only calls made from the frame that called ``activate()``, so the timed loop is
written out here rather than passed to ``common.time_calls``; it also parses the source of that
function, and accepts only plain names as called functions before the ``activate()`` line.
"""

from __future__ import annotations

import os

from alpaca import Provenance, activate, deactivate, save_provenance
from common import clock, emit, params, versions


def combine(a: list, b: dict, alpha: int = 1, beta: int = 2) -> tuple:
    """Return ``c`` and ``d`` from ``a`` and ``b``, as the ``process`` method of the workload."""
    return [value * alpha for value in a], {"sum": beta + len(b)}


tracked = Provenance(inputs=["a", "b"])(combine)


def main() -> None:
    """Time ``calls`` calls of ``combine`` tracked by Alpaca, each next to an untracked call."""
    options = params()
    a, b = [1, 2, 3], {"x": 1.5, "y": "text"}
    traced_times, plain_times = [], []
    activate(clear=True)
    for i in range(options["calls"]):
        start = clock()
        c, d = tracked(a, b, alpha=i, beta=2)
        middle = clock()
        c, d = combine(a, b, alpha=i, beta=2)
        plain_times.append(clock() - middle)
        traced_times.append(middle - start)
    deactivate()
    start = clock()
    save_provenance(os.path.join(options["folder"], "provenance.ttl"), file_format="ttl")
    emit({"traced_s": traced_times, "untraced_s": plain_times, "save_s": clock() - start,
          "versions": versions("alpaca-prov")})


if __name__ == "__main__":
    main()
