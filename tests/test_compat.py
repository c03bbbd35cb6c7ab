"""The functions of logprov 0.0.2: working from logprov.compat and logprov, warning with their replacement."""

from __future__ import annotations

import importlib
import warnings
from pathlib import Path

import pytest

import logprov
from logprov import compat
from logprov.export import GraphvizError, export
from logprov.export.graphviz import find_program
from logprov.model import build_document
from logprov.reading.reader import iter_records

LEGACY = Path(__file__).parent / "data" / "legacy" / "prov_test.log"
OLD_NAMES = ["read_prov", "provlist2provdoc", "provdoc2svg"]
QUIRKY_PAYLOADS = [
    {"session_id": 5, "startTime": "2026-01-01T00:00:00"},
    {"activity_id": "a1b2c3", "name": "f", "startTime": "2026-01-01T00:00:00", "in_session": 5},
    {"entity_description": "X", "location": "v", "value": "3", 7: 7},
    {"activity_id": "a1b2c3", "used_id": 7, "used_role": "in"},
    {"activity_id": "a1b2c3", "endTime": "2026-01-01T00:00:01"},
]


def has_graphviz() -> bool:
    try:
        find_program()
    except GraphvizError:
        return False
    return True


def one_deprecation(call, *args, **kwargs):
    """Return the result of ``call`` and the message of the one warning it gives, a DeprecationWarning."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call(*args, **kwargs)
    assert [w.category for w in caught] == [DeprecationWarning]
    assert caught[0].filename == __file__
    return result, str(caught[0].message)


def test_old_names_are_the_compat_functions_and_not_current_names():
    for name in OLD_NAMES:
        assert getattr(logprov, name) is getattr(compat, name)
        assert name not in logprov.__all__
        assert name not in dir(logprov)
    assert sorted(compat.REPLACEMENTS) == sorted(OLD_NAMES)


def test_all_holds_the_lazy_names_each_from_its_module():
    assert logprov.__all__ == ["__version__", *logprov._MODULES]
    for name, module in logprov._MODULES.items():
        assert getattr(logprov, name) is getattr(importlib.import_module(module, "logprov"), name)


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'read_provenance'"):
        logprov.read_provenance  # noqa: B018


@pytest.mark.parametrize("module", [logprov, compat], ids=["logprov", "compat"])
def test_read_prov_gives_the_payloads_of_iter_records(module):
    payloads, message = one_deprecation(module.read_prov, LEGACY)
    assert "logprov.read_prov" in message and "logprov.iter_records" in message
    assert payloads == [record.data for record in iter_records(LEGACY)]
    assert len(payloads) == 57 and payloads[3]["generated_id"] == "41961478625988398780"
    window = dict(start="2026-11-21T23:08:00.983390", end="2026-11-21T23:08:00.983410")
    selected, _ = one_deprecation(module.read_prov, LEGACY, **window)
    assert selected == [record.data for record in iter_records(LEGACY, **window)]
    assert 0 < len(selected) < len(payloads)


@pytest.mark.parametrize("module", [logprov, compat], ids=["logprov", "compat"])
def test_provlist2provdoc_gives_the_document_of_build_document(module):
    payloads = [record.data for record in iter_records(LEGACY)]
    copies = [dict(payload) for payload in payloads]
    document, message = one_deprecation(module.provlist2provdoc, payloads)
    assert "logprov.provlist2provdoc" in message and "logprov.build_document" in message
    assert document == build_document(iter_records(LEGACY))
    assert payloads == copies
    quirky, _ = one_deprecation(module.provlist2provdoc, QUIRKY_PAYLOADS, default_ns="sess")
    assert quirky == build_document(QUIRKY_PAYLOADS, session_prefix="sess")
    assert quirky.get_record("sess:_5.7")


@pytest.mark.skipif(not has_graphviz(), reason="no dot nor graphviz-pure program")
@pytest.mark.parametrize("module", [logprov, compat], ids=["logprov", "compat"])
def test_provdoc2svg_writes_the_svg_of_export(module, tmp_path):
    document = build_document(iter_records(LEGACY))
    old, new = tmp_path / "old.svg", tmp_path / "new.svg"
    result, message = one_deprecation(module.provdoc2svg, document, old, agents=True)
    assert result is None
    assert "logprov.provdoc2svg" in message and 'logprov.export.export(document, "svg", filename)' in message
    export(document, "svg", new, agents=True)
    assert old.read_bytes() == new.read_bytes()
    assert old.read_text().count('class="node activity"') == 9
