"""logprov 0.0.2: ``trace_methods`` on the workload class, definitions in its own dialect."""

from __future__ import annotations

import os

from common import clock, emit, params, time_calls, versions, work_class

DEFINITIONS = {
    "activity_descriptions": {
        "process": {
            "description": "Combine a and b into c and d",
            "parameters": [{"name": "alpha", "value": "kwargs.alpha"}, {"name": "beta", "value": "kwargs.beta"}],
            "usage": [{"role": "a", "value": "a", "entity_description": "Value"},
                      {"role": "b", "value": "b", "entity_description": "Value"}],
            "generation": [{"role": "c", "value": "c", "entity_description": "Value"},
                           {"role": "d", "value": "d", "entity_description": "Value"}],
        },
    },
    "entity_descriptions": {"Value": {"description": "A Python value", "type": "PythonObject"}},
    "agents": {},
}


def main() -> None:
    """Trace ``process`` with logprov 0.0.2 and time ``calls`` calls."""
    options = params()
    os.getlogin = lambda: "benchmark"
    from logprov import ProvCapture

    config = {"capture": True, "log_filename": os.path.join(options["folder"], "prov.log")}
    capture = ProvCapture(definitions=DEFINITIONS, config=config)
    traced = capture.trace_methods(work_class())()
    plain = work_class()()
    result = time_calls(lambda i: traced.process(alpha=i, beta=2), lambda i: plain.process(alpha=i, beta=2),
                        options["calls"])
    start = clock()
    for handler in capture.logger.handlers:
        handler.flush()
    result["save_s"] = clock() - start
    result["versions"] = versions("logprov")
    emit(result)


if __name__ == "__main__":
    main()
