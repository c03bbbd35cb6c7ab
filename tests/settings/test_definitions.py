"""Tests of loading, validating and normalising definitions."""

import ast
import inspect
import json
import pickle
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest

from logprov.settings.definitions import (
    ActivityDescription,
    Definitions,
    EntityDescription,
    ItemDescription,
    MemberDescription,
    ParameterDescription,
    load_definitions,
)
from logprov.errors import DefinitionError
from logprov.settings.valuepath import ValuePath, compile_path

from baddefinitions import BAD, BAD_FILES

ROOT = Path(__file__).resolve().parents[2]
LEGACY_LOG = Path(__file__).parents[1] / "data" / "legacy" / "prov_test.log"
GAMMAPY = ROOT / "definitions" / "gammapy.yaml"

TALK_SNIPPET = """\
activities:
  get_observations:
    description:
      "Fetch observations from the data store according to criteria defined in the configuration"
    parameters:
      - name: datastore
        description: "DataStore path as string"
        value: settings.observations.datastore
      - name: filters
        description: "Filter criteria to select observations"
        value: settings.observations.filters
    usage:
      - role: datastore
        description: "DataStore object file"
        entityType: DataStore
        location: settings.observations.datastore
    generation:
      - role: observations selected
        description: "Observations selected"
        entityType: Observations
        value: observations
        has_members:
          entitytype: Observation
          list: observations.list
          id: obs_id
          namespace: ""
  get_datasets:
    description: "Produce reduced datasets"
    parameters:
"""


def legacy_definitions():
    """Return the definitions dict held by the session record of the legacy fixture log."""
    for line in LEGACY_LOG.read_text().splitlines():
        if "'session_id'" in line and "'definitions'" in line:
            return ast.literal_eval(line.split("_PROV_", 2)[2])["definitions"]
    raise AssertionError("no session record with definitions in the legacy log")


def to_talk_dialect(legacy):
    """Rewrite logprov 0.0.2 definitions in the talk dialect."""

    def item(body):
        body = dict(body)
        if "entity_description" in body:
            body["entityType"] = body.pop("entity_description")
        return body

    activities = {}
    for name, body in legacy["activity_descriptions"].items():
        body = dict(body)
        for key in ("usage", "generation"):
            if key in body:
                body[key] = [item(i) for i in body[key]]
        activities[name] = body
    return {"activities": activities, "entities": legacy["entity_descriptions"]}


@pytest.fixture(scope="module")
def legacy():
    return legacy_definitions()


def test_legacy_dialect_loads(legacy):
    definitions = load_definitions(legacy)
    assert set(definitions.activities) == {
        "regular_function", "set_var1", "set_var2", "write_file", "read_file",
    }
    write_file = definitions.get_activity("write_file")
    assert write_file.description == "write var1 and var2 in a text file"
    assert write_file.parameters == (
        ParameterDescription(name="kwargs.filename", value=compile_path("kwargs.filename")),
    )
    assert [u.role for u in write_file.usage] == ["var1", "var2"]
    generated = write_file.generation[0]
    assert generated == ItemDescription(
        role="text file",
        entity_description="File",
        location=compile_path("kwargs.filename"),
        namespace="file",
    )
    assert generated.location.arg_name == "filename"
    assert definitions.entities["File"] == EntityDescription(
        name="File", type="File", description="A File on the disk"
    )
    assert definitions.entities["MyObject"].type == "PythonObject"
    assert definitions.agents == {}
    assert definitions.raw == legacy
    json.dumps(definitions.raw)


def test_both_dialects_normalise_to_the_same_model(legacy):
    from_legacy = load_definitions(legacy)
    from_talk = load_definitions(to_talk_dialect(legacy))
    assert from_talk.activities == from_legacy.activities
    assert from_talk.entities == from_legacy.entities
    assert from_talk.raw != from_legacy.raw


def test_talk_snippet_loads(tmp_path):
    source = tmp_path / "definition.yaml"
    source.write_text(TALK_SNIPPET)
    definitions = load_definitions(source)
    assert definitions.source == str(source)
    activity = definitions.get_activity("get_observations")
    assert activity.description.startswith("Fetch observations from the data store")
    assert [p.name for p in activity.parameters] == ["datastore", "filters"]
    assert activity.parameters[0].value == compile_path("settings.observations.datastore")
    assert activity.usage[0].entity_description == "DataStore"
    assert activity.usage[0].location.text == "settings.observations.datastore"
    generated = activity.generation[0]
    assert generated.value == compile_path("observations")
    assert generated.members == MemberDescription(
        entity_description="Observation",
        list=compile_path("observations.list"),
        id=compile_path("obs_id"),
        namespace="",
    )
    assert definitions.get_activity("get_datasets") == ActivityDescription(
        name="get_datasets", description="Produce reduced datasets"
    )
    assert definitions.entities == {}


def test_extra_keys_are_kept():
    definitions = load_definitions(
        {
            "activities": {
                "run_fit": {
                    "type": "Fit",
                    "version": 1.2,
                    "doculink": "https://example.org/run_fit",
                    "parameters": [{"name": "fit range", "value": "settings.fit.fit_range",
                                    "unit": "TeV", "ucd": "em.energy", "default": [1, 10]}],
                    "generation": [{"role": "fit result", "value": "fit_result",
                                    "multiplicity": 1, "contentType": "application/x-yaml"}],
                }
            },
            "agents": {"jdoe": {"type": "Individual", "email": "jdoe@example.org"}},
            "namespaces": {"hess": "http://www.mpi-hd.mpg.de/hfm/HESS/"},
        }
    )
    activity = definitions.activities["run_fit"]
    assert activity.extra == {"type": "Fit", "version": 1.2, "doculink": "https://example.org/run_fit"}
    assert activity.parameters[0].extra == {"unit": "TeV", "ucd": "em.energy", "default": [1, 10]}
    assert activity.generation[0].extra == {"multiplicity": 1, "contentType": "application/x-yaml"}
    assert definitions.agents == {"jdoe": {"type": "Individual", "email": "jdoe@example.org"}}
    assert definitions.namespaces == {"hess": "http://www.mpi-hd.mpg.de/hfm/HESS/"}


def test_entity_description_id_is_a_value_path():
    definitions = load_definitions({"entities": {"Observation": {"id": "obs_id"}}})
    assert definitions.entities["Observation"].id == compile_path("obs_id")
    assert definitions.entities["Observation"].type == ""


def test_get_activity_prefers_the_qualified_name():
    definitions = load_definitions(
        {"activities": {"run": {"description": "plain"}, "Analysis.run": {"description": "qualified"}}}
    )
    assert definitions.get_activity("run", "Analysis.run").description == "qualified"
    assert definitions.get_activity("run", "Other.run").description == "plain"
    assert definitions.get_activity("run").description == "plain"
    assert definitions.get_activity("missing", "Analysis.missing") is None


def test_none_empty_file_and_definitions_passthrough(tmp_path):
    assert load_definitions(None) == Definitions()
    empty = tmp_path / "empty.yaml"
    empty.write_text("# no definitions yet\n")
    loaded = load_definitions(empty)
    assert loaded.activities == {} and loaded.raw == {} and loaded.source == str(empty)
    assert load_definitions(loaded) is loaded
    assert load_definitions({"activities": None, "entities": None}).activities == {}


def test_null_activity_and_lists_are_empty():
    definitions = load_definitions({"activities": {"get_flux_points": None}})
    assert definitions.activities["get_flux_points"] == ActivityDescription(name="get_flux_points")


def test_raw_is_json_serialisable_plain_data(tmp_path):
    source = tmp_path / "dates.yaml"
    source.write_text("activities:\n  run:\n    version: 2019-10-07\n    description: x\n")
    definitions = load_definitions(source)
    assert definitions.raw == {"activities": {"run": {"version": "2019-10-07", "description": "x"}}}
    json.dumps(definitions.raw)
    given = {"activities": {"run": {"parameters": ({"value": "kwargs.x"},)}}}
    assert load_definitions(given).raw == {"activities": {"run": {"parameters": [{"value": "kwargs.x"}]}}}


def test_yaml_anchors_and_merge_keys_are_not_duplicates(tmp_path):
    source = tmp_path / "anchors.yaml"
    source.write_text(
        "activities:\n"
        "  run_fit:\n"
        "    usage:\n"
        "      - &datasets {role: datasets, value: datasets}\n"
        "  get_flux_points:\n"
        "    usage:\n"
        "      - <<: *datasets\n"
        "        role: fitted datasets\n"
    )
    definitions = load_definitions(source)
    assert definitions.activities["get_flux_points"].usage[0] == ItemDescription(
        role="fitted datasets", value=compile_path("datasets")
    )


def test_definitions_pickle():
    definitions = load_definitions(GAMMAPY)
    assert pickle.loads(pickle.dumps(definitions)) == definitions


def test_missing_file_is_named():
    with pytest.raises(DefinitionError) as info:
        load_definitions(BAD / "does_not_exist.yaml")
    assert info.value.source == str(BAD / "does_not_exist.yaml")
    assert "does_not_exist.yaml: definitions file not found" in str(info.value)


def test_directory_and_wrong_source_type(tmp_path):
    with pytest.raises(DefinitionError, match="cannot read definitions file"):
        load_definitions(tmp_path)
    with pytest.raises(DefinitionError, match="not int"):
        load_definitions(3)


def test_mapping_errors_name_the_key_path():
    with pytest.raises(DefinitionError) as info:
        load_definitions({"activities": {"run": {"usage": [{"role": "r", "value": "a +"}]}}})
    error = info.value
    assert error.source is None and error.line is None
    assert error.path == "activities.run.usage[0].value"
    assert "syntax error" in str(error)
    with pytest.raises(DefinitionError, match=r"activities\.run\.usage\[0\]\.value: values of type object"):
        load_definitions({"activities": {"run": {"usage": [{"role": "r", "value": object()}]}}})
    with pytest.raises(DefinitionError, match="key 1 is not a string"):
        load_definitions({1: {}})


def test_key_paths_quote_keys_that_are_not_names():
    with pytest.raises(DefinitionError) as info:
        load_definitions({"activities": {"Analysis.run": {"usage": [{}]}}})
    assert info.value.path == 'activities["Analysis.run"].usage[0]'
    assert "usage item has no 'role'" in str(info.value)


def test_all_problems_are_collected_and_the_first_is_raised(tmp_path):
    source = tmp_path / "several.yaml"
    source.write_text(
        "activities:\n"
        "  run_fit:\n"
        "    usage:\n"
        "      - value: datasets\n"
        "    generaton: []\n"
        "  get_flux_points:\n"
        "    description: [not, text]\n"
    )
    with pytest.raises(DefinitionError) as info:
        load_definitions(source)
    error = info.value
    assert (error.line, error.path) == (4, "activities.run_fit.usage[0]")
    assert "(and 2 more problems)" in str(error)
    assert [(e.line, e.path) for e in error.errors] == [
        (4, "activities.run_fit.usage[0]"),
        (5, "activities.run_fit.generaton"),
        (7, "activities.get_flux_points.description"),
    ]
    assert "did you mean 'generation'?" in str(error.errors[1])


def test_every_bad_file_has_an_expectation():
    assert sorted(p.name for p in BAD.glob("*.yaml")) == sorted(name for name, *_ in BAD_FILES)


@pytest.mark.parametrize("name, line, key_path, words", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_definitions(name, line, key_path, words):
    source = BAD / name
    with pytest.raises(DefinitionError) as info:
        load_definitions(source)
    error = info.value
    assert (error.source, error.line, error.path) == (str(source), line, key_path)
    prefix = f"{source}:{line}: " + (f"{key_path}: " if key_path else "")
    assert str(error).startswith(prefix)
    assert words in error.message


def test_packaged_schema_is_valid_and_identical_to_the_published_copy():
    packaged = ROOT / "logprov" / "settings" / "schema" / "definitions.schema.json"
    published = ROOT / "definitions" / "definitions.schema.json"
    assert packaged.read_bytes() == published.read_bytes()
    schema = json.loads(packaged.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


class Analysis:
    """Stand-in for gammapy.analysis.Analysis (gammapy 2.1) with the attributes the definitions read."""

    def __init__(self, config):
        self.config = config
        self.observations = None
        self.datasets = None
        self.models = None
        self.fit_result = None
        self.flux_points = None

    def get_observations(self):
        self.observations = [SimpleNamespace(obs_id=obs_id) for obs_id in (23523, 23526, 23559, 23592)]

    def get_datasets(self):
        self.datasets = [SimpleNamespace(name="stacked", counts=1234)]

    def read_models(self, path, extend=True):
        self.set_models(Path(path).name, extend=extend)

    def set_models(self, models, extend=True):
        self.models = {"components": [{"name": "crab", "spectral": "pl"}], "source": models}

    def run_fit(self):
        self.fit_result = SimpleNamespace(success=True, total_stat=12.3)

    def get_flux_points(self):
        self.flux_points = SimpleNamespace(data={"e_ref": [1.0, 2.0, 4.0], "dnde": [3e-11, 1e-11, 2e-12]})


class ConfigModel(SimpleNamespace):
    """Stand-in for a section of gammapy's (pydantic) AnalysisConfig."""

    def model_dump(self, mode="python"):
        return dict(vars(self))


def gammapy_config(datastore):
    return SimpleNamespace(
        observations=SimpleNamespace(
            datastore=datastore, obs_ids=[], required_irf=["aeff", "edisp", "psf", "bkg"],
            obs_cone=ConfigModel(frame="icrs", lon="83.633 deg", lat="22.014 deg", radius="2 deg"),
            obs_time=ConfigModel(start=None, stop=None),
        ),
        datasets=SimpleNamespace(
            type="1d", stack=True, geom=ConfigModel(axes={"energy": {"min": "0.5 TeV", "max": "30 TeV", "nbins": 20}}),
            on_region=ConfigModel(frame="icrs", lon="83.633 deg", lat="22.014 deg", radius="0.11 deg"),
            background=ConfigModel(method="reflected"), safe_mask=ConfigModel(methods=["aeff-default"]),
        ),
        fit=SimpleNamespace(fit_range=ConfigModel(min="1 TeV", max="20 TeV")),
        flux_points=SimpleNamespace(source="crab", energy=ConfigModel(min="1 TeV", max="10 TeV", nbins=4), parameters={}),
    )


def resolve(path: ValuePath, analysis, bound):
    if path.arg_name is not None:
        return path.resolve_argument(bound.arguments[path.arg_name])
    return path.resolve(analysis)


def test_gammapy_definitions_load():
    definitions = load_definitions(GAMMAPY)
    assert list(definitions.activities) == [
        "get_observations", "get_datasets", "read_models", "set_models", "run_fit", "get_flux_points",
        "FluxPoints.write",
    ]
    store = definitions.entities["DataStore"]
    assert (store.type, store.index) == ("FileCollection", None)
    for activity in definitions.activities.values():
        assert activity.description
        for item in activity.usage + activity.generation:
            assert item.entity_description in definitions.entities
            assert item.value or item.location
    assert definitions.raw["activities"]["get_observations"]["usage"][0]["entityType"] == "DataStore"
    json.dumps(definitions.raw)


def test_gammapy_paths_resolve_on_a_stand_in(tmp_path):
    files = ["hdu-index.fits.gz", "obs-index.fits.gz", "data/run_23523.fits.gz", "data/run_23526.fits"]
    for name in files + ["README.txt"]:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    definitions = load_definitions(GAMMAPY)
    analysis = Analysis(gammapy_config(tmp_path))
    calls = {"read_models": {"path": "$GAMMAPY_DATA/models/crab.yaml"}, "set_models": {"models": "components: []"}}
    methods = {name: activity for name, activity in definitions.activities.items() if "." not in name}
    for name, activity in methods.items():
        method = getattr(analysis, name)
        bound = inspect.signature(method).bind(**calls.get(name, {}))
        bound.apply_defaults()
        method(*bound.args, **bound.kwargs)
        for parameter in activity.parameters:
            resolve(parameter.value, analysis, bound)
        for item in activity.usage + activity.generation:
            for path in (item.value, item.location, item.id):
                if path is not None:
                    assert resolve(path, analysis, bound) is not None, (name, path.text)
            for members in (item.members, item.progenitors):
                if members is None:
                    continue
                elements = members.list.resolve(analysis)
                if members.id is not None:
                    assert [members.id.resolve(e) for e in elements] == [23523, 23526, 23559, 23592]
                else:
                    assert sorted(elements) == sorted(tmp_path / name for name in files)
    [fit_range] = definitions.activities["run_fit"].parameters
    assert resolve(fit_range.value, analysis, None) == {"min": "1 TeV", "max": "20 TeV"}
    [store] = definitions.activities["get_observations"].usage
    assert resolve(store.location, analysis, None) == tmp_path
    usage = definitions.activities["read_models"].usage[0]
    bound = inspect.signature(analysis.read_models).bind("model.yaml")
    assert resolve(usage.location, analysis, bound) == "model.yaml"
