"""Provenance in memory and in notebooks: records and documents of the current session without
reading a log, the bounded in-memory buffer, and the display of documents, lineages and search
matches through IPython's display formatter."""

from __future__ import annotations

import json
import warnings

import lxml.etree
import lxml.html
import pytest
from IPython.core.formatters import DisplayFormatter
from prov.model import ProvDocument

import logprov
import logprov.capture.default
import logprov.query
from logprov.handlers import ProvBufferFullWarning, ProvMemoryHandler
from logprov.model import build_document
from logprov.reading.reader import iter_records
from logprov.records.kinds import kind_of

from provconstraints import check_records

SVG = "image/svg+xml"


@pytest.fixture
def memory_capture(make_capture):
    """Return a factory of captures keeping their records in memory, each with its own logger."""

    def factory(**config):
        return make_capture(**config, log_filename=None)

    return factory


def _analysis(capture, tmp_path):
    """Run a small traced analysis: write a file, read it back, fit a line; one call fails."""

    @capture.trace
    def make_data(n: int, path: str) -> str:
        with open(path, "w") as stream:
            stream.write("\n".join(str(i) for i in range(n)))
        capture.add_output_file(path, role="table")
        return path

    @capture.trace
    def fit(path: str, degree: int = 1) -> dict:
        capture.add_input_file(path, role="table")
        capture.note("fit converged", iterations=3)
        return {"slope": 2.0, "degree": degree}

    @capture.trace
    def broken() -> None:
        raise RuntimeError("no data")

    path = str(tmp_path / "data.txt")
    make_data(5, path)
    fit(path, degree=2)
    with pytest.raises(RuntimeError):
        broken()
    return path


def test_memory_capture_writes_no_file_and_keeps_every_record(memory_capture, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    capture = memory_capture()
    _analysis(capture, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.txt"]
    records = capture.records()
    kinds = [kind_of(record.data) for record in records]
    assert kinds.count("session") == 1
    assert kinds.count("start") == kinds.count("end") == 3
    assert kinds.count("note") == 1
    assert {record.session for record in records} == {capture.session_id}
    names = [r.data["name"] for r in records if kind_of(r.data) == "start"]
    assert names == ["make_data", "fit", "broken"]
    failed = [r.data for r in records if r.data.get("status") == "failed"]
    assert [r["exception_type"] for r in failed] == ["RuntimeError"]


def test_records_of_a_file_capture_equal_the_log_read_back(make_capture, tmp_path):
    capture = make_capture()
    _analysis(capture, tmp_path)
    capture.new_session()
    _analysis(capture, tmp_path)
    in_log = [r.data for r in iter_records(capture.config.log_filename) if r.session == capture.session_id]
    assert [r.data for r in capture.records()] == in_log
    assert len(in_log) > 10


def test_memory_and_file_captures_give_the_same_document(memory_capture, make_capture, tmp_path):
    memory, on_file = memory_capture(), make_capture()
    for capture in (memory, on_file):
        _analysis(capture, tmp_path)
    kinds = [[kind_of(r.data) for r in capture.records()] for capture in (memory, on_file)]
    assert kinds[0] == kinds[1]
    documents = [capture.document() for capture in (memory, on_file)]
    counts = [sorted(type(r).__name__ for r in d.get_records()) for d in documents]
    assert counts[0] == counts[1]


def test_document_is_a_valid_prov_document(memory_capture, tmp_path):
    capture = memory_capture()
    _analysis(capture, tmp_path)
    document = capture.document()
    assert isinstance(document, ProvDocument)
    again = ProvDocument.deserialize(content=document.serialize(format="json"), format="json")
    assert again == build_document(capture.records())
    labels = {str(v) for r in again.get_records() for k, v in r.attributes if k.localpart == "label"}
    assert {"make_data", "fit", "broken"} <= labels
    check_records([r.data for r in capture.records()], formats=False)


def test_document_holds_the_current_session_only(memory_capture, tmp_path):
    capture = memory_capture()
    _analysis(capture, tmp_path)
    first = capture.session_id
    capture.new_session()
    _analysis(capture, tmp_path)
    assert capture.session_id != first
    assert {r.session for r in capture.records()} == {capture.session_id}
    capture.end_session()
    assert {r.session for r in capture.records()} == {first, capture.records()[-1].session}


def test_running_activity_is_in_the_records(memory_capture):
    capture = memory_capture(flush_interval=60)
    seen = {}

    @capture.trace
    def slow():
        seen["kinds"] = [kind_of(r.data) for r in capture.records()]

    slow()
    assert seen["kinds"] == ["session", "start"]


def test_buffer_keeps_the_first_records_and_warns_once(memory_capture):
    capture = memory_capture()
    handler = capture.logger.handlers[0]
    assert isinstance(handler, ProvMemoryHandler)
    handler.capacity = 12

    @capture.trace
    def step(i: int) -> None:
        return None

    with pytest.warns(ProvBufferFullWarning) as caught:
        for i in range(20):
            step(i)
    assert len([w for w in caught if issubclass(w.category, ProvBufferFullWarning)]) == 1
    assert "12 records" in str(caught[0].message)
    records = capture.records()
    assert 0 < len(records) <= 12
    assert kind_of(records[0].data) == "session"
    assert handler.dropped > 0
    handler.clear()
    assert capture.records() == []
    with pytest.warns(ProvBufferFullWarning):
        for i in range(20):
            step(i)


def test_default_capture_in_memory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(logprov.capture.default, "_default", None)
    capture = logprov.configure(config={"log_filename": None, "logger_name": "logprov.memory-default",
                                        "record_git": False, "record_packages": False})
    try:
        @logprov.trace
        def double(x: int) -> int:
            logprov.note("doubling")
            return 2 * x

        assert double(4) == 8
        assert [kind_of(r.data) for r in logprov.get_capture().records()].count("note") == 1
        assert isinstance(logprov.document(), ProvDocument)
        assert list(tmp_path.iterdir()) == []
    finally:
        for handler in list(capture.logger.handlers):
            capture.logger.removeHandler(handler)


def _svg(obj) -> lxml.etree._Element:
    data, _ = DisplayFormatter().format(obj)
    assert SVG in data, sorted(data)
    return lxml.etree.fromstring(data[SVG].encode())


def _texts(svg: lxml.etree._Element) -> list[str]:
    return [t.text.strip() for t in svg.iter("{http://www.w3.org/2000/svg}text") if t.text]


def test_document_displays_as_svg_graph(memory_capture, tmp_path):
    capture = memory_capture()
    _analysis(capture, tmp_path)
    svg = _svg(capture.document())
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    texts = _texts(svg)
    assert {"make_data", "fit", "broken", "data.txt"} <= set(texts)
    assert any("failed" in text for text in texts)
    remarks = svg.xpath("//svg:g[contains(@class, 'remark')]", namespaces={"svg": "http://www.w3.org/2000/svg"})
    assert [_texts(node) for node in remarks] == [["fit converged"]]


def test_lineage_and_search_display(make_capture, tmp_path):
    capture = make_capture()
    path = _analysis(capture, tmp_path)
    with logprov.query.open(capture.config.log_filename, index=False) as provenance:
        lineage = provenance.lineage(path)
        matches = provenance.search(activity="*")
        used = provenance.search(role="table")
    texts = _texts(_svg(lineage))
    assert "make_data" in texts and "data.txt" in texts
    assert "n" in texts and "5" in texts  # the parameters of make_data
    data, _ = DisplayFormatter().format(matches)
    rows = lxml.html.fromstring(data["text/html"]).xpath("//tbody/tr")
    assert [row.xpath("td")[1].text for row in rows] == ["make_data", "fit", "broken"]
    assert [row.xpath("td")[2].text for row in rows] == ["success", "success", "failed"]
    assert rows[2].xpath("td")[6].text == "RuntimeError: no data"
    data, _ = DisplayFormatter().format(used)
    rows = lxml.html.fromstring(data["text/html"]).xpath("//tbody/tr")
    assert sorted((row.xpath("td")[1].text, row.xpath("td")[4].text) for row in rows) == [
        ("fit", "used"), ("make_data", "generated")]
    assert all(row.xpath("td")[7].text == path for row in rows)


def test_search_table_escapes_markup(make_capture):
    capture = make_capture()

    @capture.trace
    def tagged(label: str) -> None:
        return None

    tagged("<b>bold</b> & co")
    with logprov.query.open(capture.config.log_filename, index=False) as provenance:
        matches = provenance.search(activity="tagged")
    data, _ = DisplayFormatter().format(matches)
    table = lxml.html.fromstring(data["text/html"])
    assert table.xpath("//b") == []
    assert "<b>bold</b> & co" in table.xpath("//tbody/tr/td")[5].text


def test_set_log_filename_replaces_the_memory_buffer(memory_capture, tmp_path):
    capture = memory_capture()

    @capture.trace
    def step() -> None:
        return None

    step()
    log = tmp_path / "later.log"
    capture.set_log_filename(log)
    assert [type(h) for h in capture.logger.handlers] == [logprov.handlers.ProvFileHandler]
    step()
    assert [kind_of(r.data) for r in iter_records(str(log))] == ["start", "end"]
    assert [kind_of(r.data) for r in capture.records()] == ["start", "end"]


def test_children_of_a_memory_capture_keep_their_records_in_memory(memory_capture):
    from logprov.capture.children import _describe
    from logprov.settings.config import load_config

    capture = memory_capture()
    config = _describe(capture, 1, False)["config"]
    assert config["log_filename"] is None
    assert load_config(config).log_filename is None


def test_direct_write_to_the_buffer_equals_the_logging_call(memory_capture):
    import logging

    direct, through_logging = memory_capture(), memory_capture()
    handler = through_logging.logger.handlers[0]
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    assert direct.writer._direct_handler() is direct.logger.handlers[0]
    assert through_logging.writer._direct_handler() is None
    for capture in (direct, through_logging):
        @capture.trace
        def scale(x: float, factor: float = 2.0) -> float:
            capture.note("scaled")
            return x * factor

        scale(1.5)
    lines = [capture.logger.handlers[0].lines() for capture in (direct, through_logging)]
    assert [len(m.splitlines()) for m in lines[0]] == [len(m.splitlines()) for m in lines[1]]
    assert all(m.startswith(f"INFO {direct.logger.name} _PROV_") for m in lines[0])
    assert all(m.startswith(f"INFO {through_logging.logger.name} _PROV_") for m in lines[1])
    shapes = [[sorted(r.data) for r in capture.records()] for capture in (direct, through_logging)]
    assert shapes[0] == shapes[1]
