"""`prov` 3.x, an earlier commit of logprov and this version side by side on one log.

For every measure the table has one row per subject, next to each other: `prov` as exporter
(``drivers/prov_export.py``), the baseline commit installed in a venv of its own
(`benchmarks.baseline`), this version, and the compiled build of ``HEAD`` (also in a venv of
its own), all running ``drivers/logprov_logs.py`` in fresh processes, in rotating order in
every repetition so that a slow phase of the machine hits each alike; `prov`, which needs minutes and gigabytes for the whole document, runs once.
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Sequence

from .alternatives import DRIVERS
from .baseline import ensure_baseline
from .biglog import ensure_log
from .isolation import run_process
from .rows import FAILED, INFO, Row, format_number
from .settings import Settings
from .stats import summarize

__all__ = ["RECORDS", "FORMATS", "QUERY_MEASURES", "Subject", "current", "compare", "rows"]

GROUP = "versions"
RECORDS = 100_000
FORMATS = (("json", "PROV-JSON"), ("provn", "PROV-N"), ("xml", "PROV-XML"), ("nt", "PROV-O N-Triples"))
QUERY_REPEATS = 3
MB = 1 << 20
QUERY_MEASURES = (
    ("cold_reading", "cold query, reading (parse the log)"),
    ("cold_indexing", "cold query, indexing (build the SQLite index)"),
    ("cold_search", "cold search of one entity (open + search)"),
    ("cold_lineage", "cold lineage of one entity (open + lineage)"),
    ("indexed_search", "indexed search of one entity (fresh process)"),
    ("indexed_lineage", "indexed lineage of one entity (fresh process)"),
)
"""Keys and labels of the query rows (seconds)."""


@dataclass(frozen=True)
class Subject:
    """A logprov whose exports and queries are measured.

    Attributes
    ----------
    key, label : str
        Identifier (in the row keys) and name in the table.
    python : str
        The interpreter that imports it.
    note : str
        Where it comes from.
    """

    key: str
    label: str
    python: str
    note: str = ""


@dataclass
class _Results:
    """What the processes of one subject returned, per measure."""

    values: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    details: dict = field(default_factory=dict)

    def add(self, measure: str, *values: float) -> None:
        self.values.setdefault(measure, []).extend(values)


def current() -> Subject:
    """Return this version, imported by this interpreter."""
    return Subject("current", "logprov, this version", sys.executable, "this interpreter")


def _run(python: str, driver: str, params: dict, timeout: float) -> tuple[dict | None, str]:
    """Run a driver; return its result (None when it failed) and why it failed."""
    outcome = run_process([python, str(DRIVERS / driver), json.dumps(params)], timeout=timeout, cwd=DRIVERS)
    if outcome.ok and outcome.value is not None:
        return {**outcome.value, "peak_rss": outcome.peak_rss}, ""
    if outcome.status == "timeout":
        return None, f"stopped at the time limit of {timeout:.0f} s"
    return None, outcome.error[-300:] or outcome.status


def _measure(subject: Subject, log: dict, folder: str, timeout: float, found: _Results) -> None:
    """Run each task of ``drivers/logprov_logs.py`` once for ``subject``."""
    base = {"log": log["path"], "folder": folder, "probe": log["probe"]}
    tasks = [("read", {"task": "read"})] + [(f"export_{fmt}", {"task": "export", "fmt": fmt}) for fmt, _ in FORMATS]
    for measure, params in tasks:
        value, error = _run(subject.python, "logprov_logs.py", {**base, **params}, timeout)
        if value is None:
            found.errors[measure] = error
            continue
        found.add(measure, log["records"] / value["seconds"])
        found.details.setdefault(measure, []).append({"peak_mb": value["peak_rss"] / MB, "bytes": value.get("bytes"),
                                                       "how": value.get("how")})
    with tempfile.TemporaryDirectory(prefix="logprov-bench-index-") as cache:
        value, error = _run(subject.python, "logprov_logs.py", {**base, "task": "cold", "cache": cache}, timeout)
        if value is None:
            found.errors.update(dict.fromkeys((measure for measure, _ in QUERY_MEASURES), error))
            return
        if value["reading_s"] is None:
            found.errors["cold_reading"] = found.errors["cold_indexing"] = (
                "cannot be split: this version builds its index without an iter_records of its own "
                "(logprov.store.loader, logprov.query.cache)")
        else:
            found.add("cold_reading", value["reading_s"])
            found.add("cold_indexing", value["open_s"] - value["reading_s"])
        found.add("cold_search", value["open_s"] + value["search_s"])
        found.add("cold_lineage", value["open_s"] + value["lineage_s"])
        found.details.setdefault("cold_reading", []).append(
            {key: value[key] for key in ("records", "matches", "activities", "entities")})
        value, error = _run(subject.python, "logprov_logs.py",
                            {**base, "task": "indexed", "cache": cache, "repeats": QUERY_REPEATS}, timeout)
    if value is None:
        found.errors["indexed_search"] = found.errors["indexed_lineage"] = error
        return
    found.add("indexed_search", *value["search_s"])
    found.add("indexed_lineage", *value["lineage_s"])


def _measure_prov(log: dict, folder: str, timeout: float, found: _Results) -> None:
    """Run ``drivers/prov_export.py`` once."""
    params = {"log": log["path"], "folder": folder, "formats": [fmt for fmt, _ in FORMATS]}
    value, error = _run(sys.executable, "prov_export.py", params, timeout)
    if value is None:
        found.errors.update(dict.fromkeys((f"export_{fmt}" for fmt, _ in FORMATS), error))
        return
    building = value["mapping_s"] + value["document_s"]
    for fmt, _ in FORMATS:
        found.add(f"export_{fmt}", log["records"] / (building + value["serialize_s"][fmt]))
    for key in ("mapping_s", "document_s"):
        found.add(key, value[key])
    for fmt, seconds in value["serialize_s"].items():
        found.add(f"serialize_{fmt}", seconds)
    found.details.update(statements=value["statements"], versions=value["versions"], bytes=value["bytes"],
                         peak_mb=value["peak_rss"] / MB)


def _ratio_note(measure: str, unit: str, results: dict, subjects: Sequence[Subject]) -> str:
    """Say how this version compares with the other subjects on ``measure``."""
    mine = results["current"].values.get(measure)
    if not mine:
        return ""
    parts = []
    for subject in subjects:
        theirs = results[subject.key].values.get(measure) if subject.key != "current" else None
        if theirs:
            ratio = statistics.median(mine) / statistics.median(theirs)
            word = "the rate" if unit == "records/s" else "the time"
            parts.append(f"{format_number(ratio)}× {word} of {subject.label}")
    return "this version: " + ", ".join(parts) if parts else ""


def _row(measure: str, what: str, unit: str, subject: Subject, found: _Results, note: str) -> Row:
    key = f"{measure}_{subject.key}"
    label = f"{what}: {subject.label}"
    if measure in found.errors:
        return Row(GROUP, key, label, None, unit, status=FAILED, note=found.errors[measure])
    values = found.values.get(measure)
    if not values:
        return Row(GROUP, key, label, None, unit, status=FAILED, note="not measured: an earlier step failed")
    return Row(GROUP, key, label, summarize(values), unit, higher_is_better=unit == "records/s", note=note,
               details={"values": values, "runs": found.details.get(measure)})


def _prov_note(found: _Results, fmt: str) -> str:
    if not found.values.get("mapping_s"):
        return ""
    mapping = statistics.median(found.values["mapping_s"])
    document = statistics.median(found.values["document_s"])
    serialize = statistics.median(found.values[f"serialize_{fmt}"])
    note = (f"mapping the records {format_number(mapping)} s (logprov.model.DocumentBuilder), building the "
            f"ProvDocument {format_number(document)} s, serialize {format_number(serialize)} s")
    if fmt == FORMATS[0][0]:
        versions = ", ".join(f"{name} {version}" for name, version in found.details["versions"].items())
        note = (f"{versions}; {found.details['statements']:,} statements, peak memory "
                f"{found.details['peak_mb']:,.0f} MB; " + note)
    return note


def compare(log: dict, subjects: Sequence[Subject], repeats: int, timeout: float, with_prov: bool = True,
            folder: str | None = None) -> list[Row]:
    """Measure ``subjects`` (and `prov`) on ``log`` and return the rows, side by side.

    Parameters
    ----------
    log : dict
        ``path``, ``records`` and ``probe`` (the entity searched), as from `ensure_log`.
    subjects : sequence of Subject
        The logprov versions; the one with key ``current`` is compared with the others in the notes.
    repeats : int
        Fresh processes per measure and subject; `prov`, which takes minutes, runs once.
    timeout : float
        Seconds after which a process is stopped.
    with_prov : bool
        Also measure `prov` as exporter.
    folder : str, optional
        Where the exports are written (the last one of each format stays); a temporary folder
        by default.
    """
    results = {subject.key: _Results() for subject in subjects}
    prov = _Results()
    with tempfile.TemporaryDirectory(prefix="logprov-bench-versions-") as scratch:
        target = folder or scratch
        for repetition in range(repeats):
            shift = repetition % len(subjects)
            for subject in list(subjects[shift:]) + list(subjects[:shift]):
                _measure(subject, log, target, timeout, results[subject.key])
        if with_prov:
            _measure_prov(log, target, timeout, prov)
    found = []
    for fmt, label in FORMATS:
        measure = f"export_{fmt}"
        what = f"export to {label}"
        if with_prov:
            prov_subject = Subject("prov", f"prov {metadata.version('prov')} (ProvDocument.serialize)",
                                   sys.executable)
            found.append(_row(measure, what, "records/s", prov_subject, prov, _prov_note(prov, fmt)))
        found += _subject_rows(measure, what, "records/s", subjects, results, prov if with_prov else None)
    found += _subject_rows("read", "read + parse the log", "records/s", subjects, results, None)
    for measure, what in QUERY_MEASURES:
        found += _subject_rows(measure, what, "s", subjects, results, None)
    return found


def _subject_rows(measure: str, what: str, unit: str, subjects: Sequence[Subject], results: dict,
                  prov: _Results | None) -> list[Row]:
    everyone = list(subjects)
    if prov is not None:
        everyone.append(Subject("prov", "prov", sys.executable))
        results = {**results, "prov": prov}
    found = []
    for subject in subjects:
        note = _ratio_note(measure, unit, results, everyone) if subject.key == "current" else ""
        if measure == "export_json" and subject.note:
            note = "; ".join(part for part in (subject.note, note) if part)
        found.append(_row(measure, what, unit, subject, results[subject.key], note))
    return found


def _own_copy(folder: str) -> dict:
    """Return `ensure_log` of the 100k-record log, copied into ``folder``.

    The shared log is replaced whenever a checkout with other code runs the benchmarks, so each
    run measures a copy of its own.

    Raises
    ------
    RuntimeError
        When the log cannot be generated, or was removed every time it was about to be copied.
    """
    for _ in range(3):
        log = ensure_log(RECORDS)
        try:
            copied = shutil.copyfile(log["path"], Path(folder) / "prov.log")
        except FileNotFoundError:
            continue
        return {**log, "path": str(copied)}
    raise RuntimeError(f"the shared {RECORDS:,}-record log was removed three times before it was copied")


def rows(settings: Settings) -> list[Row]:
    """Generate (or reuse) a 100k-record log, install the baseline, and compare."""
    with tempfile.TemporaryDirectory(prefix="logprov-bench-versions-log-") as folder:
        try:
            log = _own_copy(folder)
        except RuntimeError as exc:
            return [Row(GROUP, "log", f"generate a {RECORDS:,}-record log", None, "s", status=FAILED,
                        note=str(exc)[-300:])]
        found = [Row(GROUP, "log", f"log: {log['records']:,} records, {log['bytes'] / MB:,.0f} MB "
                     f"({'cached' if log['cached'] else 'generated now'})", summarize([log["seconds"]]), "s",
                     status=INFO, note="time = generation by two traced processes; measured on a copy")]
        subjects = []
        try:
            baseline = ensure_baseline(settings.baseline)
        except RuntimeError as exc:
            found.append(Row(GROUP, "baseline", f"install logprov {settings.baseline}", None, "s", status=FAILED,
                             note=str(exc)))
        else:
            short = baseline.summary.split()[0]
            named = "" if baseline.commit.startswith(baseline.revision) else f" ({baseline.revision})"
            subjects.append(Subject("baseline", f"logprov {short}{named}", baseline.python,
                                    f"baseline {baseline.summary}; {baseline.how}"))
        subjects.append(current())
        try:
            build = ensure_baseline("HEAD", compiled=True)
        except RuntimeError as exc:
            found.append(Row(GROUP, "compiled", "install the compiled build of HEAD", None, "s", status=FAILED,
                             note=str(exc)))
        else:
            subjects.append(Subject("compiled", f"logprov {build.summary.split()[0]}, compiled", build.python,
                                    f"LOGPROV_COMPILE=1 build of {build.summary}; {build.how}"))
        return found + compare(log, subjects, settings.version_repeats, settings.worker_timeout)
