"""One lineage through real ctapipe Tools and a traced logprov session, joined by the files they share."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

ctapipe = pytest.importorskip("ctapipe")
yaml = pytest.importorskip("yaml")
Table = pytest.importorskip("astropy.table").Table

from prov.model import ProvActivity, ProvEntity  # noqa: E402

import logprov  # noqa: E402
from logprov.cli import main  # noqa: E402
from logprov.export import export  # noqa: E402
from logprov.model import build_document  # noqa: E402
from logprov.reading.reader import iter_records  # noqa: E402
from logprov.records.kinds import kind_of  # noqa: E402

from drawings import node_titles  # noqa: E402
from provconstraints import graph_of, check_records, violations  # noqa: E402

DEFINITIONS = {
    "activities": {
        "summarise_config": {
            "parameters": [{"name": "section", "value": "kwargs.section"}],
            "usage": [{"role": "ctapipe configuration", "entityType": "ToolConfig", "location": "args.config_file"}],
            "generation": [{"role": "summary", "entityType": "Summary", "location": "args.output"}],
        },
    },
    "entities": {
        "ToolConfig": {"type": "File", "contentType": "application/yaml"},
        "Summary": {"type": "File", "contentType": "application/fits"},
    },
}


def file_id(path: Path) -> str:
    return "file:" + hashlib.sha256(path.read_bytes()).hexdigest()


def quickstart(folder: Path, *arguments: str) -> None:
    """Run ``ctapipe-quickstart`` in ``folder``, its provenance appended to ``tools.provenance.log``."""
    environment = dict(os.environ, USER="jdoe")
    subprocess.run([sys.executable, "-m", "ctapipe.tools.quickstart", *arguments,
                    "--provenance-log", "tools.provenance.log"],
                   cwd=folder, env=environment, check=True, capture_output=True)


def summarise_config(config_file: str, output: str, section: str = "DataWriter") -> str:
    """Write the options of one section of a ctapipe configuration as a FITS table."""
    with open(config_file) as stream:
        options = yaml.safe_load(stream).get(section, {})
    Table({"option": list(options), "value": [str(value) for value in options.values()]}).write(output)
    return output


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """Two runs of ctapipe-quickstart into one provenance log (the second configured by a file the
    first wrote), then a traced session reading a file the second wrote."""
    folder = tmp_path_factory.mktemp("chain")
    contact = folder / "contact.yaml"
    contact.write_text("QuickStartTool:\n  contact_name: Jane Doe\n  contact_email: jd@example.org\n"
                       "  contact_organization: CTAO\n")
    quickstart(folder, "--config", "contact.yaml", "--workdir", "w1")
    quickstart(folder, "--config", "w1/stage1_config.yaml", "--config", "contact.yaml", "--name", "John Roe",
               "--workdir", "w2")
    capture = logprov.ProvCapture(definitions=DEFINITIONS, config={
        "log_filename": str(folder / "prov.log"), "logger_name": "logprov.ctapipe_chain",
        "record_git": False, "record_packages": False})
    product = folder / "product.fits"
    capture.trace(summarise_config)(str(folder / "w2" / "base_config.yaml"), str(product), section="Contact")
    capture.end_session()
    for handler in list(capture.logger.handlers):
        handler.close()
        capture.logger.removeHandler(handler)
    text = (folder / "tools.provenance.log").read_text()
    runs = [activity for array in _arrays(text) for activity in array]
    return SimpleNamespace(folder=folder, tools=folder / "tools.provenance.log", prov=folder / "prov.log",
                           product=product, runs=runs, text=text)


def _arrays(text: str):
    decoder, position = json.JSONDecoder(), 0
    while text[position:].strip():
        value, position = decoder.raw_decode(text, len(text) - len(text[position:].lstrip()))
        yield value


def test_the_tools_append_one_array_per_run(chain):
    assert chain.text.count("][") == 1
    with pytest.raises(json.JSONDecodeError):
        json.loads(chain.text)
    assert [run["activity_name"] for run in chain.runs] == ["ctapipe-quickstart"] * 2


def test_each_run_is_a_session_with_its_activity_configuration_and_files(chain):
    records = [record.data for record in iter_records(chain.tools)]
    kinds = [kind_of(record) for record in records]
    assert kinds.count("session") == kinds.count("start") == kinds.count("end") == 2
    starts = [record for record in records if kind_of(record) == "start"]
    assert [start["activity_id"] for start in starts] == [run["activity_uuid"] for run in chain.runs]
    assert {start["agent_name"] for start in starts} == {"jdoe"}
    ends = [record for record in records if kind_of(record) == "end"]
    assert [(end["status"], end["exit_code"]) for end in ends] == [("success", 0), ("success", 0)]
    parameters = [record["parameters"] for record in records if kind_of(record) == "parameters"]
    assert [p["contact_name"] for p in parameters] == ["Jane Doe", "John Roe"]
    generated = [record for record in records if kind_of(record) == "generated"]
    assert len(generated) == sum(len(run["output"]) for run in chain.runs)
    entities = [record for record in records if kind_of(record) == "entity"]
    assert {entity["identified_by"] for entity in entities} == {"content"}
    by_location = {entity["location"]: entity["entity_id"] for entity in entities}
    for name in ("contact.yaml", "w1/stage1_config.yaml", "w2/base_config.yaml"):
        assert by_location[str(chain.folder / name)] == file_id(chain.folder / name)


def test_the_lineage_of_the_product_runs_through_both_tools(chain, capsys):
    assert main(["lineage", str(chain.tools), str(chain.prov), str(chain.product), "--format", "json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    activities = {row["id"]: row for row in rows if row["kind"] == "activity"}
    entities = {row["id"]: row for row in rows if row["kind"] == "entity"}
    first, second = (run["activity_uuid"] for run in chain.runs)
    assert {row["name"] for row in activities.values()} == {"summarise_config", "ctapipe-quickstart"}
    assert {first, second} <= set(activities)
    base = file_id(chain.folder / "w2" / "base_config.yaml")
    assert entities[base]["locations"] == [str(chain.folder / "w2" / "base_config.yaml")]
    assert entities[base]["distance"] == 2 and activities[second]["distance"] == 3
    assert file_id(chain.folder / "w1" / "stage1_config.yaml") in entities
    assert activities[first]["distance"] == 5
    assert file_id(chain.folder / "contact.yaml") in entities
    assert activities[second]["parameters"]["contact_name"] == "John Roe"


def test_a_gzip_log_reads_as_the_log(chain, tmp_path):
    packed = tmp_path / "tools.log.gz"
    packed.write_bytes(gzip.compress(chain.tools.read_bytes()))
    assert [r.data for r in iter_records(packed)] == [r.data for r in iter_records(chain.tools)]


def test_the_joined_exports_pass_the_constraints_and_draw_both_session_boxes(chain, tmp_path):
    records = list(iter_records([chain.tools, chain.prov]))
    check_records(records)
    document = build_document(records)
    sessions = [e for e in document.get_records(ProvEntity)
                if ("prov:type", "logprov:Session") in {(str(k), str(v)) for k, v in e.attributes}]
    assert len(sessions) == 3
    assert len(list(document.get_records(ProvActivity))) == 3
    assert violations(graph_of(export(document, "nt"))) == []
    dot = tmp_path / "chain.dot"
    assert main(["graph", str(chain.tools), str(chain.prov), "--entity", str(chain.product), "--depth", "6",
                 "-o", str(dot)]) == 0
    text = dot.read_text()
    assert text.count("subgraph") == 3
    assert "ctapipe-quickstart" in text and "summarise_config" in text


def test_the_committed_drawing_of_the_chain_matches_a_fresh_one(chain, tmp_path):
    fresh = tmp_path / "chain.svg"
    assert main(["graph", str(chain.tools), str(chain.prov), "--entity", str(chain.product), "--depth", "6",
                 "-o", str(fresh)]) == 0
    committed = Path(__file__).resolve().parents[2] / "docs" / "images" / "ctapipe_chain.svg"
    assert len(node_titles(fresh)) == len(node_titles(committed)) == 7
    text = (committed.parents[1] / "interop.md").read_text()
    assert "images/ctapipe_chain.png" in text
    assert (committed.parent / "ctapipe_chain.png").stat().st_size > 10_000


def test_a_session_hashing_with_md5_joins_the_tools_files_by_their_md5(chain, tmp_path, capsys):
    capture = logprov.ProvCapture(definitions=DEFINITIONS, config={
        "log_filename": str(tmp_path / "md5.log"), "logger_name": "logprov.ctapipe_md5", "hash_type": "md5",
        "record_git": False, "record_packages": False})
    product = tmp_path / "product.fits"
    capture.trace(summarise_config)(str(chain.folder / "w2" / "base_config.yaml"), str(product), section="Contact")
    capture.end_session()
    for handler in list(capture.logger.handlers):
        handler.close()
        capture.logger.removeHandler(handler)
    assert main(["lineage", str(chain.tools), str(tmp_path / "md5.log"), str(product), "--format", "json",
                 "--no-index"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    activities = {row["id"] for row in rows if row["kind"] == "activity"}
    entities = {row["id"] for row in rows if row["kind"] == "entity"}
    assert {run["activity_uuid"] for run in chain.runs} <= activities
    md5 = {"file:" + hashlib.md5((chain.folder / name).read_bytes()).hexdigest()
           for name in ("w2/base_config.yaml", "w1/stage1_config.yaml", "contact.yaml")}
    assert md5 <= entities
    assert not {entity for entity in entities if len(entity) == len("file:") + 64}
    records = list(iter_records([chain.tools, tmp_path / "md5.log"]))
    check_records(records)
    assert {r.data["hash_type"] for r in records if r.data.get("identified_by") == "content"} == {"md5"}
