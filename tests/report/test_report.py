"""``logprov report``: the page loaded in headless Chromium, checked on the DOM it builds."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from lxml import html as lxml_html

from logprov.cli import main
from logprov.reading.reader import iter_records

from logs import SyntheticLog, file_entity

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


def chromium(page: Path, *extra: str, fragment: str = "") -> tuple[str, str]:
    """Load ``page`` in headless Chromium; return the DOM after its scripts ran, and the
    browser's log (console messages appear there as ``CONSOLE`` lines)."""
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *extra,
             page.resolve().as_uri() + fragment],
            capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, done.stderr


def console_errors(log: str) -> list[str]:
    return [line for line in log.splitlines() if "CONSOLE" in line]


def loaded(page: Path, fragment: str = "") -> lxml_html.HtmlElement:
    dom, log = chromium(page, "--dump-dom", fragment=fragment)
    tree = lxml_html.fromstring(dom)
    assert tree.get_element_by_id("errors").text_content() == ""
    assert console_errors(log) == []
    assert tree.body.get("data-ready") == "true"
    return tree


@pytest.fixture(scope="module")
def observing_logs(tmp_path_factory):
    """The 20-activity, 3-session observing run, and a second log with a failed activity."""
    workdir = tmp_path_factory.mktemp("observing")
    subprocess.run([sys.executable, str(ROOT / "examples" / "observing_run.py"), str(workdir)],
                   check=True, capture_output=True)
    script = """
import sys, logprov
capture = logprov.ProvCapture(config={"log_filename": sys.argv[1], "record_packages": False})
try:
    with capture.activity("fit_model", parameters={"iterations": 50}) as act:
        act.add_input_file(sys.argv[2], role="catalogue")
        raise RuntimeError("fit did not converge")
except RuntimeError:
    pass
"""
    failed_log = workdir / "failed.log"
    subprocess.run([sys.executable, "-c", script, str(failed_log), str(workdir / "variables.json")], check=True)
    return [workdir / "prov.log", failed_log]


def activity_ids(logs) -> dict:
    starts = {}
    ends = {}
    for record in iter_records([str(log) for log in logs]):
        data = record.data
        if "activity_id" in data and "startTime" in data:
            starts[data["activity_id"]] = data["name"]
        if "activity_id" in data and "status" in data:
            ends[data["activity_id"]] = data["status"]
    return {key: (name, ends.get(key)) for key, name in starts.items()}


@pytest.fixture(scope="module")
def observing_page(observing_logs, tmp_path_factory):
    page = tmp_path_factory.mktemp("page") / "report.html"
    assert main(["report", *map(str, observing_logs), "-o", str(page)]) == 0
    return page


@needs_chromium
def test_every_activity_is_shown_and_failed_ones_are_marked(observing_logs, observing_page):
    expected = activity_ids(observing_logs)
    assert len(expected) == 21
    tree = loaded(observing_page)
    rows = {row.get("data-activity"): row for row in tree.cssselect("#activity-table tbody tr")}
    bars = {row.get("data-activity"): row for row in tree.cssselect("#timeline-body .tl-row")}
    assert set(rows) == set(expected) == set(bars)
    for key, (name, status) in expected.items():
        assert rows[key].cssselect("td")[0].text_content().startswith(name)
        assert rows[key].get("data-status") == status
        assert ("failed" in rows[key].get("class", "").split()) == (status == "failed")
        assert ("failed" in bars[key].cssselect(".tl-bar")[0].get("class").split()) == (status == "failed")
    failed = tree.cssselect("#activity-table tr.failed")
    assert len(failed) == 1
    assert "RuntimeError fit did not converge" in failed[0].text_content()
    assert len(tree.cssselect("#session-list .session")) == 4
    assert "20 activities" not in tree.get_element_by_id("summary").text_content()
    assert "21 activities (1 failed)" in tree.get_element_by_id("summary").text_content()


@needs_chromium
def test_sessions_show_machine_commit_and_packages(observing_logs, observing_page):
    records = [r.data for r in iter_records([str(log) for log in observing_logs]) if "system" in r.data]
    tree = loaded(observing_page)
    cards = {card.get("data-session"): card.text_content() for card in tree.cssselect(".session")}
    assert sorted(cards) == sorted(record["session_id"] for record in records) and records
    for record in records:
        text = cards[record["session_id"]]
        assert record["system"]["platform"]["node"] in text
        assert record["system"]["python"]["version"] in text
        if record.get("git", {}).get("commit"):
            assert record["git"]["commit"][:12] in text


@needs_chromium
def test_lineage_of_an_entity_runs_back_through_the_sessions(observing_logs, observing_page):
    report = str(Path(observing_logs[0]).parent / "report.json")
    entity = next(r.data["entity_id"] for r in iter_records(str(observing_logs[0]))
                  if r.data.get("location") == report)
    tree = loaded(observing_page, fragment=f"#lineage={entity}")
    panel = tree.get_element_by_id("lineage")
    assert panel.get("hidden") is None
    names = {a.text_content().split(" · ")[0] for a in panel.cssselect(".lin-activity")}
    assert {"write_report", "fit_period", "select_variables", "merge_catalogues", "measure",
            "calibrate", "make_bias"} <= names
    files = {a.text_content() for a in panel.cssselect("a.entity:not(.lin-activity)")}
    assert "exposure_01.json" in files and "bias_1.json" in files
    start = loaded(observing_page, fragment=f"#lineage={entity[:-8]}").get_element_by_id("lineage")
    assert start.get("hidden") is None
    assert {a.text_content().split(" · ")[0] for a in start.cssselect(".lin-activity")} == names


@needs_chromium
def test_the_start_of_an_id_that_several_entities_share_is_refused(observing_page):
    dom, _ = chromium(observing_page, "--dump-dom", fragment="#lineage=file:")
    tree = lxml_html.fromstring(dom)
    assert tree.body.get("data-ready") == "true"
    assert tree.get_element_by_id("lineage").get("hidden") is not None
    assert "entities of this report have an id starting with file:" in tree.get_element_by_id("errors").text_content()


@needs_chromium
def test_script_errors_are_caught(observing_page, tmp_path):
    broken = tmp_path / "broken.html"
    text = observing_page.read_text(encoding="utf-8")
    broken.write_text(text.replace('document.body.setAttribute("data-ready", "true");',
                                   'document.body.setAttribute("data-ready", "true"); undefinedCall();'),
                      encoding="utf-8")
    dom, log = chromium(broken, "--dump-dom")
    tree = lxml_html.fromstring(dom)
    assert "undefinedCall" in tree.get_element_by_id("errors").text_content()
    assert any("undefinedCall" in line for line in console_errors(log))


def test_page_is_self_contained(observing_page):
    text = observing_page.read_text(encoding="utf-8")
    tree = lxml_html.fromstring(text)
    assert not tree.xpath("//script[@src] | //link | //img[@src] | //iframe")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert "@import" not in text and "url(" not in text
    assert tree.cssselect("#graph-view svg")


def test_report_refuses_to_overwrite_a_log(observing_logs):
    assert main(["report", str(observing_logs[0]), "-o", str(observing_logs[0])]) == 2


def test_report_needs_an_html_name(observing_logs, tmp_path):
    assert main(["report", str(observing_logs[0]), "-o", str(tmp_path / "report.svg")]) == 2
    assert not (tmp_path / "report.svg").exists()


@pytest.fixture(scope="module")
def large_page(tmp_path_factory):
    """A page of a 10,000-activity log."""
    folder = tmp_path_factory.mktemp("large")
    log = SyntheticLog()
    session = log.session(1)
    for number in range(10_000):
        raw = file_entity(session, f"/data/raw/run_{number:05d}.fits", f"{number:064x}")
        out = file_entity(session, f"/data/out/run_{number:05d}.fits", f"{number + 10**6:064x}")
        log.call(session, "calibrate", used=[(raw, "raw")], generated=[(out, "calibrated")],
                 parameters={"gain": 1.5, "run": number},
                 status="failed" if number % 1000 == 7 else "success",
                 exception=("ValueError", "saturated") if number % 1000 == 7 else None)
    path = log.write(folder / "large.log")
    page = folder / "large.html"
    assert main(["report", str(path), "-o", str(page)]) == 0
    return page


def test_large_page_is_at_most_5_mb(large_page):
    assert large_page.stat().st_size <= 5 * 1024 * 1024


@needs_chromium
def test_large_page_pages_its_tables_and_caps_its_graph(large_page):
    tree = loaded(large_page)
    assert len(tree.cssselect("#activity-table tbody tr")) == 50
    assert "page 1 of 200" in tree.get_element_by_id("activity-pager").text_content()
    assert tree.get_element_by_id("filter-count").text_content() == "10000 of 10000"
    note = tree.get_element_by_id("graph-note")
    assert note.get("hidden") is None
    shown = re.search(r"first (\d+) of (\d+) activities \((\d+) of (\d+) nodes\)", note.text_content())
    activities, all_activities, drawn, total = map(int, shown.groups())
    assert (all_activities, total) == (10_000, 30_000)
    assert 0 < activities <= drawn <= 300
    assert len(tree.cssselect("#graph-view svg g.node")) <= drawn + 1  # the drawn nodes and the note


def test_ctapipe_provenance_logs_make_a_page_too(tmp_path):
    from ctapipe_activities import FIRST, SECOND, two_runs as ctapipe_runs

    import json

    first, second = ctapipe_runs(tmp_path)
    log = tmp_path / "ctapipe-process.provenance.log"
    log.write_text(json.dumps([first], indent=3) + json.dumps([second], indent=3))
    page = tmp_path / "page.html"
    assert main(["report", str(log), "-o", str(page)]) == 0
    tree = lxml_html.fromstring(page.read_text(encoding="utf-8"))
    data = json.loads(tree.get_element_by_id("report-data").text_content())
    assert {row[1] for row in data["activities"]} == {"lstchain_r0_to_dl1", "lstchain_dl1_to_dl2"}
    assert {row[0] for row in data["activities"]} == {FIRST, SECOND}
    assert {session["id"] for session in data["sessions"]} == {
        r.data["session_id"] for r in iter_records(str(log)) if "system" in r.data}


@needs_chromium
def test_the_exit_code_of_a_ctapipe_activity_shows_beside_its_status(tmp_path):
    from ctapipe_activities import FIRST, SECOND, two_runs as ctapipe_runs

    first, second = ctapipe_runs(tmp_path)
    second.update(status="error", exit_code=2)
    log = tmp_path / "ctapipe-process.provenance.log"
    log.write_text(json.dumps([first], indent=3) + json.dumps([second], indent=3))
    page = tmp_path / "page.html"
    assert main(["report", str(log), "-o", str(page)]) == 0
    tree = loaded(page)
    rows = {row.get("data-activity"): row for row in tree.cssselect("#activity-table tbody tr")}
    assert {key: row.cssselect("span.status")[0].text_content() for key, row in rows.items()} == {
        FIRST: "success (exit 0)", SECOND: "failed (exit 2)"}


HOSTILE = 'x</script><script>alert("owned")</script>\'"&amp;\x00end'


@pytest.fixture(scope="module")
def noted_logs(tmp_path_factory):
    """A log of two sessions with notes written while they ran (one with attributes) and
    appended afterwards by ``logprov note``, one of them hostile markup with a NUL."""
    folder = tmp_path_factory.mktemp("noted")
    log = folder / "prov.log"
    script = """
import sys, logprov
capture = logprov.ProvCapture(config={"log_filename": sys.argv[1], "record_packages": False, "record_git": False})

@capture.trace
def fit(x):
    capture.note("fit converged after 3 iterations", iterations=3, author="jdoe")
    return x

fit(1)
capture.note("observing conditions poor")
capture.new_session()

@capture.trace
def select(x):
    return x

select(2)
"""
    subprocess.run([sys.executable, "-c", script, str(log)], check=True)
    records = [r.data for r in iter_records(str(log))]
    sessions = [r["session_id"] for r in records if "system" in r]
    select = next(r["activity_id"] for r in records if r.get("name") == "select")
    assert main(["note", str(log), select, HOSTILE]) == 0
    assert main(["note", str(log), sessions[1], "second run\nafter the fix"]) == 0
    fit = next(r["activity_id"] for r in records if r.get("name") == "fit")
    return SimpleNamespace(log=log, sessions=sessions, fit=fit, select=select, folder=folder)


@pytest.fixture(scope="module")
def noted_page(noted_logs):
    page = noted_logs.folder / "report.html"
    assert main(["report", str(noted_logs.log), "-o", str(page)]) == 0
    return page


def note_texts(node) -> list:
    return [entry.cssselect(".note-text")[0].text_content() for entry in node.cssselect(".note-entry")]


@needs_chromium
def test_notes_are_shown_on_their_session_and_their_activity(noted_logs, noted_page):
    tree = loaded(noted_page)
    cards = {card.get("data-session"): card for card in tree.cssselect(".session")}
    first, second = noted_logs.sessions
    assert note_texts(cards[first]) == ["observing conditions poor"]
    assert note_texts(cards[second]) == ["second run\nafter the fix"]
    rows = {row.get("data-activity"): row for row in tree.cssselect("#activity-table tbody tr")}
    (fit,) = rows[noted_logs.fit].cssselect(".note-entry")
    assert fit.cssselect(".note-text")[0].text_content() == "fit converged after 3 iterations"
    assert fit.cssselect(".note-attributes")[0].text_content() == "iterations = 3, author = jdoe"
    time = next(r.data["time"] for r in iter_records(str(noted_logs.log)) if r.data.get("note", "").startswith("fit"))
    assert fit.cssselect(".note-time")[0].text_content() == re.sub(r"\.\d+", "", time.replace("T", " "))
    assert note_texts(rows[noted_logs.select]) == [HOSTILE.replace("\x00", "\u2400")]
    assert not tree.xpath("//script[contains(., 'owned')][not(@id='report-data')]")
    assert "4 notes" in tree.get_element_by_id("summary").text_content()
    named = {row.get("data-activity"): row.cssselect(".tl-name")[0] for row in tree.cssselect("#timeline-body .tl-row")}
    assert "fit converged" in named[noted_logs.fit].get("title") and "noted" in named[noted_logs.fit].get("class")


def test_the_page_data_holds_the_notes_escaped(noted_logs, noted_page):
    text = noted_page.read_text(encoding="utf-8")
    assert "</script><script>alert" not in text and "\x00" not in text
    data = json.loads(lxml_html.fromstring(text).get_element_by_id("report-data").text_content())
    rows = sorted(data["notes"], key=lambda row: row[3])
    index = {s["id"]: n for n, s in enumerate(data["sessions"])}
    first, second = noted_logs.sessions
    fit = [row[0] for row in data["activities"]].index(noted_logs.fit)
    select = [row[0] for row in data["activities"]].index(noted_logs.select)
    assert [(row[0], row[1], row[3], row[4]) for row in rows] == [
        (index[first], fit, "fit converged after 3 iterations", {"iterations": 3, "author": "jdoe"}),
        (index[first], -1, "observing conditions poor", {}),
        (index[second], -1, "second run\nafter the fix", {}),
        (index[second], select, HOSTILE, {}),
    ]


def test_a_page_of_one_session_holds_its_notes_only(noted_logs, tmp_path):
    first, second = noted_logs.sessions
    page = tmp_path / "one.html"
    assert main(["report", str(noted_logs.log), "-o", str(page), "--session", second[:8]]) == 0
    data = json.loads(lxml_html.fromstring(page.read_text(encoding="utf-8")).get_element_by_id("report-data").text_content())
    assert sorted(row[3] for row in data["notes"]) == ["second run\nafter the fix", HOSTILE]
