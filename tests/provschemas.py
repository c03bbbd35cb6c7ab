"""The W3C PROV-XML schema and the PROV-JSON schema shipped with ``prov``, for tests."""

from __future__ import annotations

import json
from pathlib import Path

import prov
import pytest
from lxml import etree

SCHEMAS = Path(prov.__file__).parent / "tests" / "schemas"


def prov_xml_schema() -> etree.XMLSchema:
    """Return the PROV-XML schema, or skip the test when ``prov`` does not ship it."""
    xsd = SCHEMAS / "prov.xsd"
    if not xsd.exists():
        pytest.skip(f"PROV-XML schema not shipped with prov at {SCHEMAS}")
    return etree.XMLSchema(etree.parse(str(xsd)))


def prov_json_validator():
    """Return a validator of the PROV-JSON schema, or skip the test when it is not available."""
    source = SCHEMAS / "prov-json.schema.json"
    if not source.exists():
        pytest.skip(f"PROV-JSON schema not shipped with prov at {SCHEMAS}")
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(source.read_text().replace('"wasEndedby"', '"wasEndedBy"'))
    return jsonschema.validators.validator_for(schema)(schema)
