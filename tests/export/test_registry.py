"""The export format registry: one table, formats loaded when used."""

from __future__ import annotations

import subprocess
import sys

import pytest

from logprov.cli.documents import EXPORTS
from logprov.export import FORMATS, formats
from logprov.export.registry import find_format


def test_the_table_lists_what_the_command_and_the_package_offer():
    assert list(EXPORTS) == formats() == list(FORMATS)
    assert {name for name, spec in FORMATS.items() if spec.streamer_name} == {"json", "provn", "xml", "nt", "ttl"}


@pytest.mark.parametrize("given, name", [("turtle", "ttl"), (".TTL", "ttl"), ("prov-n", "provn"), ("nq", "nt")])
def test_aliases_and_suffixes_name_a_format(given, name):
    assert find_format(given).name == name


def test_an_unknown_format_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="unknown export format 'yaml'.*json, provn"):
        find_format("yaml")


def test_listing_formats_imports_no_serialiser():
    code = (
        "import sys, logprov.export as e; e.formats(); e.FORMATS['nt'].streamer_name;"
        "print(sorted(m for m in ('prov', 'lxml', 'rdflib', 'orjson') if m in sys.modules))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"


def test_a_format_loads_its_writers_when_used():
    spec = find_format("json")
    assert spec.writer.__module__ == "logprov.export.provjson"
    assert spec.streamer.__name__ == "JsonStreamWriter"
    assert find_format("svg").streamer is None
