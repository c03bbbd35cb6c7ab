"""A scikit-learn Pipeline traced with ``trace_methods``: its fitted model keeps one id from
``fit`` to the file it is saved to, whose lineage reaches the training data."""

from __future__ import annotations

import csv
import pickle
from pathlib import Path

import pytest

import logprov.query
from logprov import cli

np = pytest.importorskip("numpy")
pytest.importorskip("sklearn")
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

DEFINITIONS = {
    "activities": {
        "load_data": {
            "usage": [{"role": "table", "location": "path", "entityType": "Table"}],
            "generation": [{"role": "features", "value": "result[0]"}, {"role": "labels", "value": "result[1]"}],
        },
        "fit": {
            "usage": [{"role": "features", "value": "X"}, {"role": "labels", "value": "y"}],
            "generation": [{"role": "model", "value": "self"}],
        },
        "save_model": {
            "usage": [{"role": "model", "value": "model"}],
            "generation": [{"role": "model file", "location": "path", "entityType": "ModelFile"}],
        },
    },
    "entities": {"Table": {"type": "File"}, "ModelFile": {"type": "File"}},
}


_CLASSES: dict = {}


def write_table(path: Path) -> Path:
    rng = np.random.default_rng(7)
    with open(path, "w", newline="") as stream:
        writer = csv.writer(stream)
        for row in rng.normal(size=(60, 4)):
            writer.writerow([*(round(v, 4) for v in row), int(row[0] + row[1] > 0)])
    return path


def load_data(path):
    table = np.loadtxt(path, delimiter=",")
    return table[:, :4], table[:, 4].astype(int)


def save_model(model, path):
    with open(path, "wb") as stream:
        pickle.dump(model, stream)


def run_training(capture, folder: Path, described_file: bool) -> dict:
    """Load a table, fit a pipeline, save the model; return what was made."""
    name = f"TracedPipeline{len(_CLASSES)}"
    traced = _CLASSES[name] = globals()[name] = type(name, (Pipeline,), {"__module__": __name__})
    capture.trace_methods(traced)
    load = capture.trace(load_data)
    if described_file:
        save = capture.trace(save_model)
    else:
        def save_and_log(model, path):
            save_model(model, path)
            capture.add_output_file(path, role="model file")
        save = capture.trace(save_and_log, name="save_model")
    table = write_table(folder / "train.csv")
    X, y = load(str(table))
    pipe = traced([("scale", StandardScaler()),
                   ("forest", RandomForestClassifier(n_estimators=5, max_depth=3, random_state=0))])
    pipe.fit(X, y)
    model_file = folder / "model.pkl"
    save(pipe, str(model_file))
    capture.end_session()
    return {"table": table, "model": model_file, "pipe": pipe}


@pytest.fixture(params=["definitions", "no definitions"])
def training(request, make_capture, records, tmp_path):
    described = request.param == "definitions"
    capture = make_capture(DEFINITIONS if described else None)
    with records(capture) as log:
        made = run_training(capture, tmp_path, described)
    made.update(log=log, described=described, path=Path(capture.config.log_filename))
    return made


def test_the_fitted_model_has_one_id_from_fit_to_the_save(training):
    log = training["log"]
    fit = log.activities("fit")[0]["activity_id"]
    role = "model" if training["described"] else "self"
    (generated,) = [r["generated_id"] for r in log.find(activity_id=fit, generated_role=role)]
    save = log.activities("save_model")[0]["activity_id"]
    assert log.find(activity_id=save, used_role="model")[0]["used_id"] == generated
    assert not [r for r in log.of_kind("derivation") if r.get("untraced")]


def test_the_saved_model_file_traces_back_to_the_training_data(training):
    log = training["log"]
    load = log.activities("load_data")[0]["activity_id"]
    roles = ("features", "labels") if training["described"] else ("result[0]", "result[1]")
    data_ids = {log.find(activity_id=load, generated_role=role)[0]["generated_id"] for role in roles}
    with logprov.query.open(training["path"], index=False) as provenance:
        lineage = provenance.lineage(training["model"])
    assert {a.name for a in lineage.activities.values()} >= {"load_data", "fit", "save_model"}
    reached = {entity.logged_id for entity in lineage.entities.values()}
    assert data_ids and data_ids <= reached
    if training["described"]:
        table_id = log.find(activity_id=load, used_role="table")[0]["used_id"]
        assert [e.logged_id for e in lineage.inputs()] == [table_id]


def test_the_lineage_command_shows_the_training_data(training, capsys):
    assert cli.main(["lineage", "--no-index", str(training["path"]), str(training["model"])]) == 0
    shown = capsys.readouterr().out
    assert "load_data" in shown and "fit" in shown
    if training["described"]:
        assert "train.csv" in shown


def test_no_activity_comes_from_the_capture_inspecting_the_pipeline(training):
    log = training["log"]
    activities = log.activities()
    top = [a["name"] for a in activities if "parent_activity_id" not in a]
    assert top == ["load_data", "fit", "save_model"]
    fit = log.activities("fit")[0]["activity_id"]
    nested = [a for a in activities if "parent_activity_id" in a]
    assert {a["parent_activity_id"] for a in nested} <= {fit}
    assert all(a["name"] == "get_params" for a in nested)


def test_undescribed_methods_record_the_hyperparameters(training):
    log = training["log"]
    fit = log.activities("fit")[0]["activity_id"]
    found = [r["parameters"] for r in log.of_kind("parameters") if r["activity_id"] == fit]
    if training["described"]:
        assert found == []
        return
    (values,) = found
    assert values["self.forest__n_estimators"] == 5 and values["self.forest__max_depth"] == 3
    assert values["self.scale__with_mean"] is True
    assert all(name.startswith("self.") for name in values)


def test_methods_that_exist_only_when_the_last_step_has_them_are_traced(make_capture, records):
    capture = make_capture({"activities": {"score": {"generation": [{"role": "accuracy", "value": "result"}]}}})
    name = f"TracedPipeline{len(_CLASSES)}"
    traced = _CLASSES[name] = globals()[name] = type(name, (Pipeline,), {"__module__": __name__})
    capture.trace_methods(traced)
    X, y = load_data(str(write_table(Path(capture.config.log_filename).with_suffix(".csv"))))
    pipe = traced([("scale", StandardScaler()), ("forest", RandomForestClassifier(n_estimators=3, random_state=0))])
    with records(capture) as log:
        pipe.fit(X, y)
        predicted = pipe.predict(X)
        accuracy = pipe.score(X, y)
    assert len(predicted) == len(y) and 0.0 <= accuracy <= 1.0
    assert [a["name"] for a in log.activities() if "parent_activity_id" not in a] == ["fit", "predict", "score"]
    score = log.activities("score")[0]["activity_id"]
    (generated,) = log.find(activity_id=score, generated_role="accuracy")
    assert log.find(entity_id=generated["generated_id"], value=repr(accuracy))
    scaler_only = traced([("scale", StandardScaler())])
    assert not hasattr(scaler_only, "predict") and hasattr(scaler_only, "transform")
