"""ctapipe: explicit ``start_activity`` / ``add_input_file`` / ``finish_activity`` per call.

Astropy is told not to download (there is no network for it here; it would otherwise wait for
time-outs on the first activity). The files are not ctapipe data files, so no reference
metadata is read from them (``add_meta=False``).
"""

from __future__ import annotations

import os

from common import clock, emit, params, time_calls, versions, work_class


def main() -> None:
    """Record each call of the workload as a ctapipe provenance activity."""
    options = params()
    from astropy.utils import iers
    from astropy.utils.data import conf

    iers.conf.auto_download = False
    conf.allow_internet = False
    from ctapipe.core import Provenance

    provenance = Provenance()
    files = {role: os.path.join(options["folder"], f"{role}.dat") for role in "abcd"}
    for role, path in files.items():
        with open(path, "w") as stream:
            stream.write(role * 100)
    plain = work_class()()

    def traced(i: int) -> None:
        provenance.start_activity("process")
        provenance.add_config({"alpha": i, "beta": 2})
        provenance.add_input_file(files["a"], role="a", add_meta=False)
        provenance.add_input_file(files["b"], role="b", add_meta=False)
        plain.process(alpha=i, beta=2)
        provenance.add_output_file(files["c"], role="c", add_meta=False)
        provenance.add_output_file(files["d"], role="d", add_meta=False)
        provenance.finish_activity()

    result = time_calls(traced, lambda i: plain.process(alpha=i, beta=2), options["calls"])
    start = clock()
    with open(os.path.join(options["folder"], "provenance.json"), "w") as stream:
        stream.write(provenance.as_json(indent=2))
    result["save_s"] = clock() - start
    result["versions"] = versions("ctapipe", "astropy")
    emit(result)


if __name__ == "__main__":
    main()
