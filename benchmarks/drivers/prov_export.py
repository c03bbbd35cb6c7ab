"""`prov` 3.x as the exporter of a large log: a `prov.model.ProvDocument` and its serializers.

The records are read with `logprov.iter_records` and mapped by this logprov's
`logprov.model.DocumentBuilder`, which makes the document with `prov`'s public API
(``document.activity``, ``entity``, ``usage``, ``generation``, …); the document is then
written by ``document.serialize`` with `prov`'s own serializers (PROV-JSON, PROV-N, PROV-XML,
and PROV-O through `prov`'s RDF serializer and `rdflib`). The times of the three steps are
reported apart: mapping the records (logprov), building the document (prov) and serializing
it (prov).
"""

from __future__ import annotations

import os

from common import clock, emit, params, peak_rss, versions

FORMATS = {
    "json": {"format": "json"},
    "provn": {"format": "provn"},
    "xml": {"format": "xml"},
    "nt": {"format": "rdf", "rdf_format": "nt", "encoding": "utf-8"},
}


def main() -> None:
    """Build the document of the log once, then serialize it to every format of ``formats``."""
    options = params()
    from logprov.model import DocumentBuilder
    from logprov import iter_records

    start = clock()
    builder = DocumentBuilder().add_all(iter_records(options["log"]))
    mapped = clock()
    document = builder.document()
    built = clock()
    statements = len(list(document.get_records()))
    result = {"mapping_s": mapped - start, "document_s": built - mapped, "statements": statements,
              "serialize_s": {}, "bytes": {}}
    for fmt in options["formats"]:
        target = os.path.join(options["folder"], f"prov.{fmt}")
        begin = clock()
        with open(target, "wb") as stream:
            document.serialize(stream, **FORMATS[fmt])
        result["serialize_s"][fmt] = clock() - begin
        result["bytes"][fmt] = os.path.getsize(target)
    result["versions"] = versions("prov", "rdflib", "lxml", "logprov")
    result["peak_rss"] = peak_rss()
    emit(result)


if __name__ == "__main__":
    main()
