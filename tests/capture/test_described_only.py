"""Definitions whose activity names match no method, traced with ``described_only``: a warning
names the definitions file and the activities, instead of tracing nothing without a word."""

from __future__ import annotations

import warnings

import pytest

from logprov.settings.definitions import UnmatchedDefinitionWarning


class Photometry:
    def measure(self):
        return 1

    def plot(self):
        return 2


def fresh_class() -> type:
    return type("Photometry", (), {"measure": Photometry.measure, "plot": Photometry.plot,
                                   "__qualname__": "Photometry"})


def definitions_file(tmp_path, name: str) -> str:
    path = tmp_path / "definition.yaml"
    path.write_text(f"activities:\n  {name}:\n    description: Measure the fluxes\n")
    return str(path)


def test_a_misspelt_activity_traces_nothing_and_says_so(make_capture, tmp_path, records):
    path = definitions_file(tmp_path, "mesure")
    capture = make_capture(path)
    cls = fresh_class()
    with pytest.warns(UnmatchedDefinitionWarning) as caught:
        capture.trace_methods(cls, described_only=True)
    [warning] = caught
    assert path in str(warning.message) and "'mesure'" in str(warning.message)
    assert "Photometry" in str(warning.message) and "none" in str(warning.message)
    with records(capture) as log:
        cls().measure()
    assert not [r for r in log.records if "activity_id" in r]


def test_a_qualified_name_of_a_missing_method_is_reported(make_capture, tmp_path):
    path = tmp_path / "definition.yaml"
    path.write_text("activities:\n  measure: {}\n  Photometry.fit: {}\n  other_function: {}\n")
    capture = make_capture(str(path))
    with pytest.warns(UnmatchedDefinitionWarning, match="'Photometry.fit'") as caught:
        capture.trace_methods(fresh_class(), described_only=True)
    assert "other_function" not in str(caught[0].message)


def test_matching_definitions_give_no_warning(make_capture, tmp_path, records):
    capture = make_capture(definitions_file(tmp_path, "measure"))
    cls = fresh_class()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        capture.trace_methods(cls, described_only=True)
        capture.trace_methods(cls, described_only=True)
        make_capture(definitions_file(tmp_path, "mesure")).trace_methods(fresh_class())
    assert caught == []
    with records(capture) as log:
        assert cls().measure() == 1 and cls().plot() == 2
    assert [r["name"] for r in log.records if "startTime" in r and "activity_id" in r] == ["measure"]
