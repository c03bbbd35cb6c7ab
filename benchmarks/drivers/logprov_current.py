"""logprov (this version): ``trace_methods`` on the workload class, or its manual activity API
on the ctapipe workload (``"manual": true``)."""

from __future__ import annotations

import os

from common import clock, emit, params, time_calls, versions, work_class

DEFINITIONS = {
    "activities": {
        "process": {
            "parameters": [{"name": "alpha", "value": "kwargs.alpha"}, {"name": "beta", "value": "kwargs.beta"}],
            "usage": [{"role": "a", "value": "a"}, {"role": "b", "value": "b"}],
            "generation": [{"role": "c", "value": "c"}, {"role": "d", "value": "d"}],
        },
    },
}


def main() -> None:
    """Trace the workload with this logprov and time ``calls`` calls."""
    options = params()
    from logprov import ProvCapture

    capture = ProvCapture(definitions=DEFINITIONS,
                          config={"log_filename": os.path.join(options["folder"], "prov.log")})
    plain = work_class()()
    if options.get("manual"):
        files = {role: os.path.join(options["folder"], f"{role}.dat") for role in "abcd"}
        for role, path in files.items():
            with open(path, "w") as stream:
                stream.write(role * 100)

        def traced(i: int) -> None:
            with capture.activity("process", parameters={"alpha": i, "beta": 2}) as act:
                act.add_input_file(files["a"], role="a")
                act.add_input_file(files["b"], role="b")
                plain.process(alpha=i, beta=2)
                act.add_output_file(files["c"], role="c")
                act.add_output_file(files["d"], role="d")

        result = time_calls(traced, lambda i: plain.process(alpha=i, beta=2), options["calls"])
    else:
        instance = capture.trace_methods(work_class())()
        result = time_calls(lambda i: instance.process(alpha=i, beta=2), lambda i: plain.process(alpha=i, beta=2),
                            options["calls"])
    start = clock()
    capture.end_session()
    result["save_s"] = clock() - start
    result["versions"] = versions("logprov")
    emit(result)


if __name__ == "__main__":
    main()
