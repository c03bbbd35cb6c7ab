"""The benchmark group ``versions``: prov, a baseline and this version side by side.

The baseline here is this working tree itself, run by this interpreter (installed nowhere), on
a small log written by the benchmarks' traced pipeline. Nothing is timed against a limit: the
tests check which rows are built, in which order, and that `prov`'s document holds what
logprov's own export holds.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from prov.model import ProvDocument

from benchmarks import versions
from benchmarks.__main__ import GROUPS, OPTIONAL_GROUPS, _parser, selected_groups
from benchmarks.baseline import ROOT, resolve
from benchmarks.biglog import _index_files, count_records
from benchmarks.isolation import run_worker
from benchmarks.rows import FAILED, MEASURED, Row
from benchmarks.stats import summarize

MEASURES = [f"export_{fmt}" for fmt, _ in versions.FORMATS] + ["read"] + [m for m, _ in versions.QUERY_MEASURES]


@pytest.fixture(scope="module")
def small_log(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("versions-log")
    _index_files(folder / "data")
    log = folder / "prov.log"
    outcome = run_worker("benchmarks.biglog:generate_worker",
                         {"log": str(log), "records": 200, "seed": 3, "folder": str(folder / "data")}, timeout=120)
    assert outcome.ok, outcome.error
    return {"path": str(log), "records": count_records(log), "probe": outcome.value["probe"]}


@pytest.fixture(scope="module")
def compared(small_log, tmp_path_factory) -> tuple[list[Row], Path]:
    out = tmp_path_factory.mktemp("versions-out")
    subjects = [versions.Subject("baseline", "logprov, working tree", sys.executable, "installed nowhere"),
                versions.current()]
    return versions.compare(small_log, subjects, repeats=1, timeout=120, folder=str(out)), out


def test_every_measure_has_its_subjects_side_by_side(compared):
    rows, _ = compared
    assert [row.status for row in rows if row.status == FAILED] == [], [row.note for row in rows]
    expected = []
    for measure in MEASURES:
        subjects = ["prov", "baseline", "current"] if measure.startswith("export_") else ["baseline", "current"]
        expected += [f"{measure}_{subject}" for subject in subjects]
    assert [row.key for row in rows] == expected
    for row in rows:
        assert row.status == MEASURED and row.summary.n >= 1 and row.summary.median > 0
        assert row.unit == ("s" if row.key.startswith(("cold_", "indexed_")) else "records/s")
        assert row.higher_is_better == (row.unit == "records/s")


def test_this_version_is_compared_with_the_others(compared):
    rows, _ = compared
    notes = {row.key: row.note for row in rows}
    assert "× the rate of logprov, working tree" in notes["export_json_current"]
    assert "× the rate of prov" in notes["export_json_current"]
    assert "× the time of logprov, working tree" in notes["cold_indexing_current"]
    assert "of prov" not in notes["cold_indexing_current"]
    assert "installed nowhere" in notes["export_json_baseline"]


def test_the_cold_query_is_split_into_reading_and_indexing(compared, small_log):
    rows, _ = compared
    found = {row.key: row for row in rows}
    for subject in ("baseline", "current"):
        reading = found[f"cold_reading_{subject}"]
        assert [run["records"] for run in reading.details["runs"]] == [small_log["records"]]
        assert [run["matches"] for run in reading.details["runs"]] == [1]
        assert found[f"cold_indexing_{subject}"].summary.median > 0


def test_prov_document_holds_what_logprovs_export_holds(compared, small_log):
    rows, out = compared
    from logprov.export import export_records
    from logprov import iter_records

    built = ProvDocument.deserialize(str(out / "prov.json"), format="json")
    exported = ProvDocument.deserialize(content=export_records(iter_records(small_log["path"]), "json"),
                                        format="json")
    statements = len(exported.get_records())
    assert statements > small_log["records"]
    assert len(built.get_records()) == statements
    assert built == exported
    prov_row = next(row for row in rows if row.key == "export_json_prov")
    assert f"{statements:,} statements" in prov_row.note
    for fmt, _ in versions.FORMATS:
        assert (out / f"prov.{fmt}").stat().st_size > 0
        assert (out / f"export.{fmt}").stat().st_size > 0


def test_rates_are_scaled_up_to_the_reference_machine():
    slower = Row("versions", "read_current", "read", summarize([1000.0, 1200.0]), "records/s",
                 higher_is_better=True, scale=2.0)
    assert slower.scaled_median == pytest.approx(2200.0)
    seconds = Row("versions", "cold_reading_current", "read", summarize([3.0]), "s", scale=2.0)
    assert seconds.scaled_median == pytest.approx(1.5)


def test_the_group_runs_only_when_named():
    assert set(OPTIONAL_GROUPS) <= set(GROUPS)
    assert "versions" not in selected_groups(_parser().parse_args([]))
    assert selected_groups(_parser().parse_args(["--only", "versions"])) == ["versions"]
    assert _parser().parse_args([]).baseline == "HEAD~1"


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="not a git checkout")
def test_the_baseline_revision_is_resolved_or_named_in_the_error():
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    commit, summary = resolve("HEAD")
    assert commit == head.strip() and summary.startswith(commit[:7])
    with pytest.raises(RuntimeError, match="no-such-revision"):
        resolve("no-such-revision")
