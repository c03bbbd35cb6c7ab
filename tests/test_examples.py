"""Run every script of ``examples/`` as a user would, and check the provenance it logs."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from logprov.cli import main
from logprov.reading.reader import iter_records
from logprov.records.kinds import kind_of
from logprov.testing import parse_line

from provconstraints import check_records

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


class Run:
    """An example run: its output directory, printed text and decoded log."""

    def __init__(self, workdir: Path, stdout: str) -> None:
        self.workdir = workdir
        self.stdout = stdout
        logs = [workdir / "prov.log"] if (workdir / "prov.log").exists() else sorted(workdir.rglob("*.log"))
        lines = [line for log in logs for line in log.read_text().splitlines()]
        self.records = [r for r in map(parse_line, lines) if r is not None]

    def kind(self, kind: str) -> list:
        return [r for r in self.records if kind_of(r) == kind]

    def packages(self) -> dict:
        """The packages named by the records of the first session."""
        first = self.kind("session")[0]["session_id"]
        return {name: version for r in self.records if r.get("session_id") == first
                for name, version in r.get("packages", {}).items()}

    def starts(self, name: str | None = None) -> list:
        return [r for r in self.kind("start") if name is None or r["name"] == name]

    def ends(self) -> dict:
        return {r["activity_id"]: r for r in self.kind("end")}

    def parameters(self) -> dict:
        return {r["activity_id"]: r["parameters"] for r in self.kind("parameters")}

    def used(self, activity_id: str) -> list:
        return [(r["used_role"], r["used_id"]) for r in self.kind("used") if r["activity_id"] == activity_id]

    def generated(self, activity_id: str) -> list:
        return [(r["generated_role"], r["generated_id"]) for r in self.kind("generated") if r["activity_id"] == activity_id]

    def entities(self) -> dict:
        return {r["entity_id"]: r for r in self.kind("entity")}


def run_examples(names: list, base: Path) -> dict:
    """Run the examples side by side, each with its own output directory; return their runs."""
    started = {}
    for name in names:
        workdir = base / Path(name).stem / "out"
        workdir.parent.mkdir(parents=True)
        process = subprocess.Popen(
            [sys.executable, str(EXAMPLES / name), str(workdir)],
            cwd=workdir.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "LOGPROV_CACHE": str(base / "cache")},
        )
        started[name] = (process, workdir)
    runs = {}
    for name, (process, workdir) in started.items():
        stdout, stderr = process.communicate(timeout=180)
        assert process.returncode == 0, f"{name} failed:\n{stdout}\n{stderr}"
        assert "Traceback" not in stderr, stderr
        runs[name] = Run(workdir, stdout)
    return runs


def file_id(path: Path) -> str:
    return "file:" + hashlib.sha256(path.read_bytes()).hexdigest()


ALL = sorted(path.name for path in EXAMPLES.glob("*.py"))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return run_examples(ALL, tmp_path_factory.mktemp("examples"))


@pytest.mark.parametrize("name", ALL)
def test_every_example_runs_and_logs_whole_activities(runs, name):
    run = runs[name]
    assert run.kind("session"), f"{name} logged no session"
    starts = run.starts()
    assert starts, f"{name} logged no activity"
    ends = run.ends()
    assert {s["activity_id"] for s in starts} == set(ends)
    assert {e["status"] for e in ends.values()} <= {"success", "failed"}
    assert all(len(s["activity_id"]) == 36 for s in starts)


@pytest.mark.parametrize("name", ALL)
def test_every_example_export_meets_the_prov_constraints(runs, name):
    logs = sorted(str(log) for log in runs[name].workdir.rglob("*.log"))
    check_records(list(iter_records(logs)))


@pytest.fixture
def pipeline(runs):
    return runs["function_pipeline.py"]


@pytest.fixture
def manual(runs):
    return runs["manual_activities.py"]


@pytest.fixture
def two_sessions(runs):
    return runs["two_sessions.py"]


@pytest.fixture
def analysis(runs):
    return runs["analysis_session.py"]


@pytest.fixture
def gammapy_run(runs):
    return runs["gammapy_analysis.py"]


def test_function_pipeline_logs_one_activity_per_call(pipeline):
    assert f"provenance log: {pipeline.workdir / 'prov.log'}" in pipeline.stdout
    assert len(pipeline.kind("session")) == 1 and len(pipeline.kind("session_end")) == 1
    starts = pipeline.starts()
    assert [s["name"] for s in starts] == ["run_pipeline", "load_catalogue", "calibrate", "select_sources", "write_result"]
    outer = starts[0]
    assert "parent_activity_id" not in outer
    assert all(s["parent_activity_id"] == outer["activity_id"] for s in starts[1:])
    assert all(s["function"] == f"__main__.{s['name']}" for s in starts)
    ends = pipeline.ends()
    assert [ends[s["activity_id"]]["status"] for s in starts] == ["success"] * 5


def test_function_pipeline_parameters_and_data_flow(pipeline):
    ids = {s["name"]: s["activity_id"] for s in pipeline.starts()}
    parameters = pipeline.parameters()
    assert parameters[ids["calibrate"]] == {"zero_point": 24.6, "airmass": 1.2, "extinction": 0.15}
    assert parameters[ids["select_sources"]] == {"max_mag": 21.0, "min_snr": 5.0}
    assert parameters[ids["run_pipeline"]]["zero_point"] == 24.6
    catalogue, result = pipeline.workdir / "catalogue.csv", pipeline.workdir / "selected.csv"
    assert pipeline.used(ids["load_catalogue"]) == [("catalogue", file_id(catalogue))]
    assert ("selected sources", file_id(result)) in pipeline.generated(ids["write_result"])
    entities = pipeline.entities()
    assert entities[file_id(catalogue)]["location"] == str(catalogue)
    assert entities[file_id(result)]["size"] == result.stat().st_size
    # the list returned by one step is the value used by the next: same digest, same entity
    for producer, consumer in (("load_catalogue", "calibrate"), ("calibrate", "select_sources"),
                               ("select_sources", "write_result")):
        [(role, produced)] = pipeline.generated(ids[producer])
        assert role == "result"
        assert ("sources", produced) in pipeline.used(ids[consumer])
        assert entities[produced]["type"] == "PythonObject"
    selected = len(result.read_text().splitlines()) - 1
    assert f"selected {selected} sources" in pipeline.stdout


def test_manual_activities_log_files_and_the_failure(manual):
    starts = manual.starts()
    assert Counter(s["name"] for s in starts) == {"calibrate_exposure": 4, "stack_exposures": 1}
    ends = manual.ends()
    statuses = [ends[s["activity_id"]]["status"] for s in starts]
    assert statuses == ["success", "success", "failed", "success", "success"]
    failed = ends[starts[2]["activity_id"]]
    assert failed["exception_type"] == "ValueError"
    assert failed["exception_message"].startswith("exposure_03.json is corrupt")
    assert manual.parameters()[starts[2]["activity_id"]] == {"gain": 1.8, "exposure": "exposure_03.json"}
    raw = manual.workdir / "raw"
    bias = file_id(raw / "bias.json")
    assert manual.used(starts[2]["activity_id"]) == [("raw exposure", file_id(raw / "exposure_03.json")),
                                                     ("bias frame", bias)]
    assert manual.generated(starts[2]["activity_id"]) == []
    calibrated = []
    for start, number in zip(starts[:4], (1, 2, 3, 4)):
        if number == 3:
            continue
        aid = start["activity_id"]
        assert manual.used(aid) == [("raw exposure", file_id(raw / f"exposure_{number:02d}.json")), ("bias frame", bias)]
        output = manual.workdir / "calibrated" / f"calibrated_{number:02d}.json"
        roles = dict(manual.generated(aid))
        assert roles["calibrated exposure"] == file_id(output)
        assert manual.entities()[roles["statistics"]]["value"].startswith('{"mean":')
        calibrated.append(file_id(output))
    stack = starts[4]["activity_id"]
    assert manual.used(stack) == [("calibrated exposure", entity) for entity in calibrated]
    assert manual.generated(stack) == [("stacked image", file_id(manual.workdir / "stacked.json"))]
    # the bias frame is described once per session, however often it is used
    assert sum(1 for r in manual.kind("entity") if r["entity_id"] == bias) == 1
    assert "skipped exposure_03.json" in manual.stdout


def test_two_sessions_share_the_file_entity(two_sessions):
    sessions = two_sessions.kind("session")
    assert len(sessions) == 2
    first, second = sessions
    assert first["session_id"] != second["session_id"]
    assert first["system"]["pid"] != second["system"]["pid"]
    assert second["system"]["argv"][-1] == "--fit"
    by_session = {s["session_id"]: [] for s in sessions}
    for start in two_sessions.starts():
        by_session[start["in_session"]].append(start)
    [reduce] = by_session[first["session_id"]]
    [fit] = by_session[second["session_id"]]
    assert (reduce["name"], fit["name"]) == ("reduce_events", "fit_spectrum")
    ends = two_sessions.ends()
    assert ends[reduce["activity_id"]]["status"] == ends[fit["activity_id"]]["status"] == "success"
    spectrum = file_id(two_sessions.workdir / "spectrum.json")
    assert two_sessions.generated(reduce["activity_id"]) == [("counts spectrum", spectrum)]
    assert two_sessions.used(fit["activity_id"]) == [("counts spectrum", spectrum)]
    product = file_id(two_sessions.workdir / "fit_result.json")
    assert two_sessions.generated(fit["activity_id"]) == [("fit result", product)]
    assert two_sessions.parameters()[reduce["activity_id"]]["energy bins"] == [0.3, 0.6, 1.2, 2.4, 4.8, 9.6]
    described = [r for r in two_sessions.kind("entity") if r["entity_id"] == spectrum]
    assert {r["in_session"] for r in described} == {first["session_id"], second["session_id"]}
    assert all(r["entity_description"] == "Spectrum" and r["type"] == "File" for r in described)


def test_two_sessions_prints_the_lineage_of_the_final_product(two_sessions):
    product = file_id(two_sessions.workdir / "fit_result.json")
    out = two_sessions.stdout
    assert f"logprov lineage {two_sessions.workdir / 'prov.log'} {product}" in out
    if "Lineage computed" in out:
        lineage = out.split("Lineage computed", 1)[1]
        for name in ("reduce_events", "fit_spectrum", "events.json", "spectrum.json", "fit_result.json"):
            assert name in lineage


def test_the_analysis_writes_its_flux_points_as_a_fits_table_that_can_carry_its_lineage(analysis, tmp_path):
    fits = pytest.importorskip("astropy.io.fits")
    product = tmp_path / "flux_points.fits"
    shutil.copyfile(analysis.workdir / "flux_points.fits", product)
    with fits.open(product) as hdus:
        assert hdus["FLUXPOINTS"].columns.names == ["e_min", "e_max", "counts"]
        assert len(hdus["FLUXPOINTS"].data) == 3
    assert main(["embed", str(product), str(analysis.workdir / "prov.log")]) == 0
    with fits.open(product) as hdus:
        assert [hdu.name for hdu in hdus] == ["PRIMARY", "FLUXPOINTS", "PROVENANCE"]
    if shutil.which("fitsverify") is not None:
        done = subprocess.run(["fitsverify", "-q", str(product)], capture_output=True, text=True)
        assert "verification OK" in done.stdout, done.stdout


def test_analysis_session_runs_from_the_command_line(analysis):
    names = [s["name"] for s in analysis.starts()]
    assert names == ["get_observations", "get_datasets", "set_models", "run_fit", "get_flux_points", "write_flux_points"]
    assert all(e["status"] == "success" for e in analysis.kind("end"))
    output = analysis.workdir / "flux_points.fits"
    write = analysis.starts("write_flux_points")[0]["activity_id"]
    assert ("flux points file", file_id(output)) in analysis.generated(write)
    assert any(r.get("untraced") for r in analysis.kind("derivation"))
    assert {"logprov", "PyYAML"} <= set(analysis.packages())


def test_sklearn_pipeline_model_file_traces_back_to_the_table(runs):
    run = runs["sklearn_pipeline.py"]
    names = [s["name"] for s in run.starts() if "parent_activity_id" not in s]
    assert names == ["load_table", "fit", "save_model"]
    nested = {s["name"] for s in run.starts() if "parent_activity_id" in s}
    assert nested <= {"get_params"}
    model, table = run.workdir / "model.pkl", run.workdir / "table.csv"
    fit = run.starts("fit")[0]["activity_id"]
    save = run.starts("save_model")[0]["activity_id"]
    (fitted,) = [entity for role, entity in run.generated(fit) if role == "self"]
    assert ("model", fitted) in run.used(save)
    assert ("model file", file_id(model)) in run.generated(save)
    assert run.parameters()[fit]["self.forest__n_estimators"] == 10
    assert file_id(model)[:18] in run.stdout and str(table) in run.stdout
    assert {"scikit-learn", "numpy"} <= set(run.packages())


def test_gammapy_analysis_logs_one_activity_per_method(gammapy_run):
    starts = gammapy_run.starts()
    assert [s["name"] for s in starts] == [
        "get_observations", "get_datasets", "read_models", "set_models", "run_fit", "get_flux_points", "write",
    ]
    assert [s["function"].rsplit(".", 2)[-2] for s in starts] == ["Analysis"] * 6 + ["FluxPoints"]
    ends = gammapy_run.ends()
    assert [ends[s["activity_id"]]["status"] for s in starts] == ["success"] * 7
    by_name = {s["name"]: s for s in starts}
    assert by_name["set_models"]["parent_activity_id"] == by_name["read_models"]["activity_id"]
    assert sum("parent_activity_id" in s for s in starts) == 1
    log_text = (gammapy_run.workdir / "prov.log").read_text()
    assert "WARNING" not in log_text and "incomplete" not in log_text


def test_gammapy_analysis_logs_the_configuration(gammapy_run):
    ids = {s["name"]: s["activity_id"] for s in gammapy_run.starts()}
    parameters = gammapy_run.parameters()
    assert parameters[ids["get_observations"]] == {
        "datastore": str(gammapy_run.workdir / "datastore"),
        "obs_ids": [],
        "obs_cone": {"frame": "icrs", "lon": "83.633 deg", "lat": "22.014 deg", "radius": "2.0 deg"},
        "obs_time": {"start": None, "stop": None},
        "required_irf": ["aeff", "edisp", "psf", "bkg"],
    }
    datasets = parameters[ids["get_datasets"]]
    assert (datasets["dataset type"], datasets["stack"]) == ("1d", True)
    assert datasets["geom"]["axes"] == {
        "energy": {"min": "0.5 TeV", "max": "30.0 TeV", "nbins": 10},
        "energy_true": {"min": "0.3 TeV", "max": "50.0 TeV", "nbins": 20},
    }
    assert datasets["on_region"] == {"frame": "icrs", "lon": "83.633 deg", "lat": "22.014 deg", "radius": "0.15 deg"}
    assert datasets["background"] == {"method": "reflected", "exclusion": None, "parameters": {}}
    assert datasets["safe_mask"] == {"methods": ["offset-max"], "parameters": {"offset_max": "2.5 deg"}}
    assert parameters[ids["read_models"]] == parameters[ids["set_models"]] == {"extend": True}
    assert parameters[ids["run_fit"]] == {"fit range": {"min": "0.7 TeV", "max": "30.0 TeV"}}
    assert parameters[ids["get_flux_points"]] == {
        "source": "crab",
        "energy": {"min": "0.7 TeV", "max": "30.0 TeV", "nbins": 4},
        "estimator parameters": {"selection_optional": ["ul"]},
    }
    assert parameters[ids["write"]] == {"sed_type": "dnde", "format": None, "overwrite": True, "checksum": False}


def test_gammapy_observations_come_from_the_data_store_files(gammapy_run):
    store = gammapy_run.workdir / "datastore"
    files = sorted(store.glob("*.fits.gz"))
    assert [path.name for path in files] == [
        "events_20001.fits.gz", "events_20002.fits.gz", "hdu-index.fits.gz", "obs-index.fits.gz",
    ]
    ids = {s["name"]: s["activity_id"] for s in gammapy_run.starts()}
    [(role, datastore)] = gammapy_run.used(ids["get_observations"])
    entities = gammapy_run.entities()
    assert role == "datastore" and datastore not in {file_id(path) for path in files}
    assert (entities[datastore]["type"], entities[datastore]["location"]) == ("FileCollection", str(store))
    members = [r["member_id"] for r in gammapy_run.kind("member") if r["entity_id"] == datastore]
    assert sorted(members) == sorted(file_id(path) for path in files)
    for path in files:
        described = entities[file_id(path)]
        assert (described["location"], described["entity_description"], described["type"]) == (
            str(path), "DataStoreFile", "File")
    [(role, observations)] = gammapy_run.generated(ids["get_observations"])
    assert role == "observations selected"
    assert [r["member_id"] for r in gammapy_run.kind("member") if r["entity_id"] == observations] == ["20001", "20002"]
    assert gammapy_run.used(ids["read_models"]) == [("model file", file_id(gammapy_run.workdir / "model.yaml"))]
    write = ids["write"]
    assert gammapy_run.generated(write) == [("flux points file", product_id(gammapy_run.workdir / "flux_points.fits"))]


def product_id(path: Path) -> str:
    """The id of a FITS product with embedded provenance: the digest of its bytes before the
    PROVENANCE extension (where astropy finds its header)."""
    from astropy.io import fits

    with fits.open(path) as hdus:
        start = hdus.fileinfo(hdus.index_of("PROVENANCE"))["hdrLoc"]
    return "file:" + hashlib.sha256(path.read_bytes()[:start]).hexdigest()


def test_gammapy_flux_points_carry_their_lineage(gammapy_run):
    from astropy.io import fits

    import logprov.query

    workdir = gammapy_run.workdir
    output = workdir / "flux_points.fits"
    with fits.open(output) as hdus:
        assert [hdu.name for hdu in hdus][-1] == "PROVENANCE"
        assert hdus["PROVENANCE"].header["NACTIV"] == 7
    with logprov.query.open(output, index=False) as provenance:
        alone = provenance.lineage(output)
    with logprov.query.open(workdir / "prov.log", index=False) as provenance:
        logged = provenance.lineage(output)
    assert set(alone.entities) == set(logged.entities) and set(alone.activities) == set(logged.activities)
    assert f"$ logprov lineage {output} --no-index      # the file alone" in gammapy_run.stdout
    for path in sorted((workdir / "datastore").glob("*.fits.gz")):
        assert file_id(path) in alone.entities


def test_gammapy_flux_points_trace_back_to_the_data_store(gammapy_run):
    import logprov.query

    workdir = gammapy_run.workdir
    store = workdir / "datastore"
    files = sorted(store.glob("*.fits.gz"))
    output = workdir / "flux_points.fits"
    with logprov.query.open(workdir / "prov.log", index=False) as provenance:
        lineage = provenance.lineage(output)
    assert lineage.roots == [product_id(output)] and product_id(output) != file_id(output)
    entities = lineage.entities
    for path in [*files, workdir / "model.yaml"]:
        assert file_id(path) in entities, path
        assert entities[file_id(path)].locations == (str(path),)
    [datastore] = [e for e in entities.values() if e.entity_description == "DataStore"]
    assert datastore.locations == (str(store),)
    members = [edge.cause for edge in lineage.edges if edge.relation == "hadMember" and edge.effect == datastore.id]
    assert sorted(members) == sorted(map(file_id, files))
    inputs = {entity.id for entity in lineage.inputs()}
    assert {datastore.id, file_id(workdir / "model.yaml")} <= inputs
    assert {a.name for a in lineage.activities.values()} == {
        "get_observations", "get_datasets", "read_models", "set_models", "run_fit", "get_flux_points", "write",
    }
    # one value from each step to the next: the flux points written are those computed
    ids = {s["name"]: s["activity_id"] for s in gammapy_run.starts()}
    [(_, written)] = gammapy_run.used(ids["write"])
    assert ("flux points", written) in gammapy_run.generated(ids["get_flux_points"])
    assert not [r for r in gammapy_run.kind("derivation") if r.get("untraced")]
    for path in files:
        assert f"{path}  (DataStoreFile)" in gammapy_run.stdout
