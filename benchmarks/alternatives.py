"""Other provenance tools on the same workload, each in a throwaway venv of its own.

The venvs live under ``~/.cache/logprov-bench/venvs`` (or ``$LOGPROV_BENCH_CACHE/venvs``) and
are reused while their requirements are unchanged; none of these tools is a dependency of
logprov.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .isolation import run_process
from .rows import FAILED, INFO, STOPPED, Row, format_number
from .settings import CACHE_DIR, Settings
from .stats import summarize

__all__ = ["Tool", "TOOLS", "ensure_venv", "rows"]

GROUP = "alternatives"
DRIVERS = Path(__file__).resolve().parent / "drivers"
INSTALL_TIMEOUT = 1200.0
FIRST = 100


@dataclass(frozen=True)
class Tool:
    """A provenance tool measured by a driver script.

    Attributes
    ----------
    key, label : str
        Identifier and name in the table.
    driver : str
        Script in ``benchmarks/drivers``.
    requirements : tuple of str
        What ``pip install`` puts in its venv; empty to run in this interpreter.
    params : dict
        Extra parameters of the driver.
    runs : int or None
        Processes to run (default: the settings' ``alternative_runs``).
    workload : str
        How the workload is expressed with this tool.
    """

    key: str
    label: str
    driver: str
    requirements: tuple = ()
    params: dict | None = None
    runs: int | None = None
    workload: str = ""


TOOLS = (
    Tool("logprov", "logprov (this version), trace_methods", "logprov_current.py",
         workload="definitions: 2 parameters, 2 used, 2 generated values"),
    Tool("logprov_002", "logprov 0.0.2, trace_methods", "logprov_legacy.py",
         ("logprov==0.0.2", "psutil", "pyyaml", "prov"),
         workload="same definitions in the 0.0.2 dialect; os.getlogin replaced (no terminal)"),
    Tool("logprov_manual", "logprov (this version), activity() + add_input_file", "logprov_current.py",
         params={"manual": True}, workload="ctapipe's workload: parameters, 2 input and 2 output files"),
    Tool("ctapipe", "ctapipe Provenance, start/add_input_file/finish", "ctapipe_driver.py", ("ctapipe",), runs=1,
         workload="parameters as config, 2 input and 2 output files (add_meta=False), kept in memory"),
    Tool("alpaca", "Alpaca, @Provenance(inputs=[a, b])", "alpaca_driver.py", ("alpaca-prov",),
         workload="a function of a, b, alpha, beta returning c, d; kept in memory"),
)


def ensure_venv(name: str, requirements: tuple) -> tuple[str | None, str]:
    """Return ``(python, how)`` of a venv holding ``requirements``, creating it if needed.

    ``python`` is None when the venv could not be made; ``how`` then says why.
    """
    folder = CACHE_DIR / "venvs" / name
    python = folder / "bin" / "python"
    marker = folder / ".logprov-bench.json"
    wanted = {"requirements": list(requirements)}
    if python.exists() and marker.exists() and json.loads(marker.read_text()) == wanted:
        return str(python), "cached venv"
    try:
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True, capture_output=True,
                           timeout=INSTALL_TIMEOUT)
        done = subprocess.run(
            [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", *requirements],
            capture_output=True, text=True, timeout=INSTALL_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return None, f"install of {' '.join(requirements)} timed out after {INSTALL_TIMEOUT:.0f} s"
    except subprocess.CalledProcessError as exc:
        return None, f"python -m venv failed: {exc.stderr.decode(errors='replace')[-300:]}"
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if "is ignored" not in line]
        return None, f"pip install {' '.join(requirements)} failed: " + " ".join(lines)[-400:]
    marker.write_text(json.dumps(wanted))
    return str(python), "venv installed now"


def _overheads(value: dict) -> list[float]:
    return [(t - u) * 1e6 for t, u in zip(value["traced_s"], value["untraced_s"])]


def _tool_rows(tool: Tool, settings: Settings) -> list[Row]:
    calls = settings.alternative_calls
    if tool.requirements:
        python, how = ensure_venv(tool.key, tool.requirements)
        if python is None:
            return [Row(GROUP, f"{tool.key}_first", f"{tool.label}: install", None, "µs", status=FAILED, note=how)]
    else:
        python, how = sys.executable, "this interpreter"
    firsts, means, growths, saves, first_calls, steady = [], [], [], [], [], []
    value = None
    for _ in range(tool.runs or settings.alternative_runs):
        with tempfile.TemporaryDirectory(prefix="logprov-bench-alt-") as folder:
            params = {"calls": calls, "folder": folder, **(tool.params or {})}
            outcome = run_process([python, str(DRIVERS / tool.driver), json.dumps(params)],
                                  timeout=settings.worker_timeout, cwd=DRIVERS)
        if outcome.status == "timeout":
            return [Row(GROUP, f"{tool.key}_all", f"{tool.label}: {calls:,} calls", summarize([outcome.elapsed]),
                        "s", status=STOPPED, note=f"stopped at the time limit of {settings.worker_timeout:.0f} s")]
        if not outcome.ok:
            return [Row(GROUP, f"{tool.key}_first", f"{tool.label}: run", None, "µs", status=FAILED,
                        note=outcome.error[-400:])]
        value = outcome.value
        overheads = _overheads(value)
        firsts.append(statistics.mean(overheads[:FIRST]))
        first_calls.append(overheads[0] / 1000)
        steady.append(statistics.median(overheads[1:FIRST]))
        means.append(statistics.mean(overheads))
        if calls >= 2 * FIRST:
            growths.append(statistics.median(overheads[-FIRST:]) / statistics.median(overheads[:FIRST]))
        saves.append(value["save_s"])
    versions = ", ".join(f"{name} {version}" for name, version in value["versions"].items())
    processes = f"{len(firsts)} process{'es' if len(firsts) > 1 else ''} of {calls:,} calls"
    note = (f"{versions}; {how}; {tool.workload}; first call {format_number(statistics.median(first_calls))} ms, "
            f"median of calls 2–{FIRST} {format_number(statistics.median(steady))} µs; writing out at the end "
            f"took {format_number(statistics.median(saves))} s; {processes}")
    found = [Row(GROUP, f"{tool.key}_first", f"{tool.label}: overhead per call, mean of calls 1–{FIRST}",
                 summarize(firsts), "µs", status=INFO, note=note,
                 details={"versions": value["versions"], "first_call_ms": first_calls, "median_2_100_us": steady,
                          "save_s": saves})]
    if calls > FIRST:
        found.append(Row(GROUP, f"{tool.key}_all", f"{tool.label}: overhead per call, mean of calls 1–{calls:,}",
                         summarize(means), "µs", status=INFO))
    if growths:
        found.append(Row(GROUP, f"{tool.key}_growth",
                         f"{tool.label}: growth, median of calls {calls - FIRST + 1:,}–{calls:,} vs 1–{FIRST}",
                         summarize(growths), "x", status=INFO))
    return found


def rows(settings: Settings) -> list[Row]:
    """Install (or reuse) the tools and run the same workload with each."""
    found = []
    for tool in TOOLS:
        found += _tool_rows(tool, settings)
    return found
