"""Run a measurement in a fresh process, watching its time and memory."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import psutil

from .drivers.common import MARKER

__all__ = ["MARKER", "PROGRESS_ENV", "Outcome", "run_process", "run_worker", "emit_result", "progress", "peak_rss"]

PROGRESS_ENV = "LOGPROV_BENCH_PROGRESS"
ROOT = Path(__file__).resolve().parent.parent
_POLL = 0.05


@dataclass
class Outcome:
    """What a measuring process returned.

    Attributes
    ----------
    status : str
        ``ok``, ``timeout`` (stopped at the time limit), ``memory`` (stopped at the memory limit)
        or ``error``.
    value : dict or None
        The result the process printed.
    elapsed : float
        Wall-clock seconds the process ran.
    peak_rss : int
        Largest resident set size in bytes: the process's own peak when it finished, else the
        largest seen while polling.
    progress : dict or None
        The last progress report of the process.
    error : str
        End of the process's error output when it failed.
    """

    status: str
    value: dict | None
    elapsed: float
    peak_rss: int
    progress: dict | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        """Whether the process finished and returned a result."""
        return self.status == "ok" and self.value is not None

    def stop_note(self) -> str:
        """Say where and how far the process was stopped."""
        reason = "time limit" if self.status == "timeout" else "memory limit"
        reached = ", ".join(f"{key} {_shown(value)}" for key, value in (self.progress or {}).items())
        return f"stopped at the {reason} after {self.elapsed:.1f} s" + (f" ({reached})" if reached else "")


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def peak_rss() -> int:
    """Return the peak resident set size of this process, in bytes."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def emit_result(value: dict) -> None:
    """Print ``value`` as the result of a measuring process."""
    print(MARKER + json.dumps(value), flush=True)


def progress(**data: Any) -> None:
    """Record how far a measuring process got (read by the parent if it has to stop it)."""
    path = os.environ.get(PROGRESS_ENV)
    if path:
        Path(path + ".part").write_text(json.dumps(data))
        os.replace(path + ".part", path)


def _tail(path: str, limit: int = 1500) -> str:
    text = Path(path).read_text(errors="replace")
    return text[-limit:].strip()


def run_process(
    argv: Sequence[str],
    *,
    timeout: float | None = None,
    memory_cap: int | None = None,
    cwd: str | os.PathLike | None = None,
    env: dict | None = None,
) -> Outcome:
    """Run ``argv`` and return its `Outcome`.

    Parameters
    ----------
    argv : sequence of str
        The command; it prints its result with `emit_result`.
    timeout : float, optional
        Seconds after which the process is stopped.
    memory_cap : int, optional
        Resident set size in bytes above which the process is stopped.
    cwd, env
        As for `subprocess.Popen`.
    """
    with tempfile.TemporaryDirectory(prefix="logprov-bench-run-") as folder:
        out_path = os.path.join(folder, "stdout")
        err_path = os.path.join(folder, "stderr")
        progress_path = os.path.join(folder, "progress.json")
        environment = dict(os.environ if env is None else env)
        environment[PROGRESS_ENV] = progress_path
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            start = time.perf_counter()
            process = subprocess.Popen(list(argv), stdout=out, stderr=err, cwd=cwd, env=environment,
                                       stdin=subprocess.DEVNULL)
            watched = psutil.Process(process.pid)
            peak, status = 0, None
            while process.poll() is None:
                try:
                    peak = max(peak, watched.memory_info().rss)
                except psutil.Error:
                    pass
                elapsed = time.perf_counter() - start
                if timeout is not None and elapsed > timeout:
                    status = "timeout"
                elif memory_cap is not None and peak > memory_cap:
                    status = "memory"
                if status is not None:
                    process.kill()
                    process.wait()
                    break
                time.sleep(_POLL)
            elapsed = time.perf_counter() - start
        report = json.loads(Path(progress_path).read_text()) if os.path.exists(progress_path) else None
        if status is not None:
            return Outcome(status, None, elapsed, peak, report)
        value = None
        for line in Path(out_path).read_text(errors="replace").splitlines():
            if line.startswith(MARKER):
                value = json.loads(line[len(MARKER):])
        if process.returncode != 0 or value is None:
            return Outcome("error", None, elapsed, peak, report, _tail(err_path) or f"exit code {process.returncode}")
        peak = max(peak, int(value.get("peak_rss", 0)))
        return Outcome("ok", value, elapsed, peak, report)


def run_worker(target: str, params: dict | None = None, **options: Any) -> Outcome:
    """Run ``module:function(**params)`` of this package in a fresh interpreter.

    Parameters
    ----------
    target : str
        ``"benchmarks.module:function"``; the function returns a JSON-serialisable dict.
    params : dict, optional
        Its keyword arguments (JSON data).
    **options
        ``timeout`` and ``memory_cap``, see `run_process`.
    """
    argv = [sys.executable, "-m", "benchmarks.worker", target, json.dumps(params or {})]
    return run_process(argv, cwd=ROOT, **options)
