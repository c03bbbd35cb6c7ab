"""Tests of value path compilation and resolution."""

import pickle
from collections import OrderedDict
from types import SimpleNamespace

import pytest

from logprov.errors import LogprovError, ValuePathError
from logprov.settings.valuepath import (
    AttributeStep,
    CallStep,
    IndexStep,
    ValuePath,
    ValuePathLookupError,
    compile_path,
)


class Location:
    def __init__(self, hdu_type, base):
        self.hdu_type = hdu_type
        self.base = base

    def path(self, absolute=False):
        prefix = "/abs/" if absolute else ""
        return f"{prefix}{self.base}/{self.hdu_type}.fits"


class Observation:
    def __init__(self, obs_id):
        self.obs_id = obs_id

    def location(self, hdu_type="events"):
        return Location(hdu_type, f"run{self.obs_id}")


class Datasets:
    """List-like container indexed by position or by dataset name, like gammapy Datasets."""

    def __init__(self, *datasets):
        self._datasets = list(datasets)

    def __getitem__(self, key):
        if isinstance(key, str):
            for dataset in self._datasets:
                if dataset.name == key:
                    return dataset
            raise KeyError(key)
        return self._datasets[key]


class Broken:
    @property
    def value(self):
        raise RuntimeError("backend not ready")

    @property
    def missing(self):
        return {}["nope"]


@pytest.fixture
def scope():
    return SimpleNamespace(
        settings={"observations": {"datastore": "$GAMMAPY_DATA/hess-dl3-dr1", "filters": [{"a": 1}]}},
        observations=SimpleNamespace(list=[Observation(23523), Observation(23526)]),
        datasets=Datasets(SimpleNamespace(name="stacked", counts=10), SimpleNamespace(name="run2", counts=3)),
        broken=Broken(),
        table={"rows": [{"id": 1}, {"id": 2}, {"id": 3}]},
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        ("settings.observations.datastore", "$GAMMAPY_DATA/hess-dl3-dr1"),
        ("settings.observations.filters[0].a", 1),
        ("settings['observations']['datastore']", "$GAMMAPY_DATA/hess-dl3-dr1"),
        ("observations.list[1].obs_id", 23526),
        ("observations.list[-1].obs_id", 23526),
        ("datasets[1].name", "run2"),
        ('datasets["stacked"].counts', 10),
        ("datasets.stacked.counts", 10),
        ('observations.list[0].location(hdu_type="aeff").path()', "run23523/aeff.fits"),
        ('observations.list[0].location("psf").path(absolute=True)', "/abs/run23523/psf.fits"),
        ("table.rows[-2].id", 2),
        ("settings.observations.datastore.upper()", "$GAMMAPY_DATA/HESS-DL3-DR1"),
    ],
)
def test_resolve_mixed_dicts_and_objects(scope, text, expected):
    assert compile_path(text).resolve(scope) == expected


def test_root_is_looked_up_in_a_mapping_scope():
    scope = {"obs_id": 42, "items": OrderedDict(a=1)}
    assert compile_path("obs_id").resolve(scope) == 42
    assert compile_path("items.a").resolve(scope) == 1


def test_mapping_key_wins_over_attribute_and_attribute_is_the_fallback():
    data = {"keys": "the item"}
    assert compile_path("d.keys").resolve_from(data) == "the item"
    empty = {}
    assert compile_path("d.get").resolve_from(empty) == empty.get
    assert compile_path("d.items()").resolve_from({"a": 1}) == {"a": 1}.items()


def test_attribute_falls_back_to_item_for_non_mapping_containers(scope):
    assert compile_path("x.run2.counts").resolve_from(scope.datasets) == 3


def test_resolve_from_applies_only_the_steps_after_the_root(scope):
    path = compile_path("obs.location(hdu_type='bkg').path()")
    assert path.resolve_from(scope.observations.list[0]) == "run23523/bkg.fits"
    assert compile_path("obs_id").resolve_from(7) == 7


def test_call_with_mutable_literal_gets_a_fresh_copy_each_time():
    path = compile_path("f.append_to(items=[1])")
    calls = []

    class Target:
        def append_to(self, items):
            items.append(2)
            calls.append(items)
            return items

    target = Target()
    assert path.resolve_from(target) == [1, 2]
    assert path.resolve_from(target) == [1, 2]
    assert calls[0] is not calls[1]


@pytest.mark.parametrize(
    "text, root, steps",
    [
        ("settings", "settings", ()),
        ("a.b", "a", (AttributeStep("b"),)),
        ("a[0]['k']", "a", (IndexStep(0), IndexStep("k"))),
        ("a[-3]", "a", (IndexStep(-3),)),
        ("f(1, x='y')", "f", (CallStep((1,), (("x", "y"),)),)),
        ("a.b(None, True, 2.5).c", "a", (AttributeStep("b"), CallStep((None, True, 2.5)), AttributeStep("c"))),
    ],
)
def test_compile_structure(text, root, steps):
    path = compile_path(text)
    assert isinstance(path, ValuePath)
    assert (path.text, path.root, path.steps) == (text, root, steps)


@pytest.mark.parametrize(
    "text, arg_name",
    [
        ("args.model", "model"),
        ("kwargs.filename", "filename"),
        ("kwargs['filename']", "filename"),
        ("args[0]", 0),
        ("args[-1].name", -1),
        ("args.model.name", "model"),
        ("args", None),
        ("kwargs", None),
        ("kwargs[0]", None),
        ("settings.args", None),
        ("observations", None),
    ],
)
def test_arg_name(text, arg_name):
    assert compile_path(text).arg_name == arg_name


def test_resolve_argument_applies_the_steps_after_the_argument_selector():
    model = SimpleNamespace(spectral=SimpleNamespace(index=2.3))
    assert compile_path("args.model.spectral.index").resolve_argument(model) == 2.3
    assert compile_path("args[1]").resolve_argument(model) is model
    assert compile_path("kwargs['m'].spectral").resolve_argument(model) is model.spectral


def test_compile_is_cached_stripped_and_picklable():
    assert compile_path("a.b") is compile_path("a.b")
    assert compile_path("  a.b ").text == "a.b"
    assert compile_path(" a.b") == compile_path("a.b")
    assert pickle.loads(pickle.dumps(compile_path("a.b(x=[1])"))) is compile_path("a.b(x=[1])")


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("__import__('os')", "__import__"),
        ("a.__class__", "__class__"),
        ("a.__class__.__subclasses__()", "__class__"),
        ("a + b", "operator"),
        ("settings.datasets.stack-datasets", "['key']"),
        ("-a", "operator"),
        ("f(x)", "not a literal"),
        ("f(a.b)", "not a literal"),
        ("f(y=x)", "not a literal"),
        ("f(*a)", "starred"),
        ("f(**a)", "**mapping"),
        ("lambda: 1", "lambda"),
        ("[x for x in y]", "comprehension"),
        ("a if b else c", "conditional"),
        ("a[b]", "index"),
        ("a[1:2]", "slice"),
        ("a[1.5]", "int or str"),
        ("a[True]", "int or str"),
        ("a == b", "comparison"),
        ("'text'", "literal"),
        ("(a, b)", "tuple"),
        ("f'{a}'", "f-string"),
        ("a.", "syntax error"),
        ("a b", "syntax error"),
        ("", "empty"),
        ("   ", "empty"),
    ],
)
def test_rejects_unsafe_or_invalid_syntax(text, fragment):
    with pytest.raises(ValuePathError) as info:
        compile_path(text)
    assert fragment in str(info.value)
    if text.strip():
        assert repr(text) in str(info.value) or repr(text.strip()) in str(info.value)


def test_rejects_non_string():
    with pytest.raises(ValuePathError, match="must be a string, not list"):
        compile_path(["a"])


@pytest.mark.parametrize(
    "text, step, cause",
    [
        ("broken.value", ".value", "RuntimeError"),
        ("broken.missing", ".missing", "KeyError"),
        ("observations.list[5].obs_id", "[5]", "IndexError"),
        ("settings.observations.nope", ".nope", "AttributeError"),
        ("settings['nope']", "['nope']", "KeyError"),
        ("datasets['absent']", "['absent']", "KeyError"),
        ("observations.list[0].location(flavour=1)", "(flavour=1)", "TypeError"),
        ("observations.list.obs_id", ".obs_id", "AttributeError"),
        ("nothing.at_all", "nothing", "AttributeError"),
    ],
)
def test_lookup_failures_raise_value_path_lookup_error(scope, text, step, cause):
    with pytest.raises(ValuePathLookupError) as info:
        compile_path(text).resolve(scope)
    error = info.value
    assert isinstance(error, LookupError) and isinstance(error, LogprovError)
    assert error.path == text and error.step == step
    assert type(error.cause).__name__ == cause
    assert text in str(error) and step in str(error) and cause in str(error)


def test_lookup_error_does_not_leak_the_raw_exception(scope):
    with pytest.raises(ValuePathLookupError) as info:
        compile_path("broken.value").resolve(scope)
    assert not isinstance(info.value, RuntimeError)
    assert isinstance(info.value.__cause__, RuntimeError)
