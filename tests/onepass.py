"""The one-pass export of records compared with the document `logprov.model.build_document` makes
(N-Triples and Turtle as triples isomorphic to those of the document)."""

from __future__ import annotations

import io
import warnings

import prov
import pytest

from logprov.export import export, export_records
from logprov.model import build_document

W3C = ("json", "provn", "xml")
ALL = W3C + ("nt",)


def read_back(text: str, fmt: str) -> prov.model.ProvDocument:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return prov.read(io.StringIO(text), format=fmt)


def graph(text: str, fmt: str = "nt"):
    rdflib = pytest.importorskip("rdflib")
    return rdflib.Graph().parse(data=text, format="turtle" if fmt == "ttl" else fmt)


def assert_same(records: list, *, window: int = 8192, formats=ALL, shortcuts=(True,), **options) -> None:
    """The one-pass outputs of ``records`` read back as the document build_document makes."""
    document = build_document(records, **options)
    for fmt in set(formats) & set(W3C):
        streamed = export_records(records, fmt, window=window, **options)
        assert read_back(streamed, fmt) == document, fmt
    if "nt" not in formats:
        return
    from rdflib.compare import isomorphic

    for shortcut in shortcuts:
        expected = graph(export(document, "nt", shortcuts=shortcut))
        for fmt in ("nt", "ttl"):
            streamed = graph(export_records(records, fmt, window=window, shortcuts=shortcut, **options), fmt)
            assert len(streamed) == len(expected), fmt
            assert isomorphic(streamed, expected), f"{fmt}, shortcuts={shortcut}"
