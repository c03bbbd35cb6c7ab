"""SPARQL queries read only the graph of the logs: no network, no files, one-line errors."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pytest

from logprov.cli import main
from logs import two_session_log


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list = []

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        self.requests.append(self.path)
        body = b"<http://example.org/s> <http://example.org/p> <http://example.org/o> .\n"
        self.send_response(200)
        self.send_header("Content-Type", "application/n-triples")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server():
    """A local HTTP server on 127.0.0.1 that records every request it receives."""
    handler = type("Handler", (_Recorder,), {"requests": []})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", handler.requests
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def log(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("LOGPROV_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "prov.log"
    two_session_log(path)
    return path


def one_error_line(err: str, *words: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("logprov: error: "), err
    for word in words:
        assert word in lines[0], err


REMOTE = [
    ("SELECT * WHERE {{ SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}", "SERVICE"),
    ("SELECT * WHERE {{ ?a a prov:Activity . SERVICE SILENT <{url}/sparql> {{ ?s ?p ?o }} }}", "SERVICE"),
    ("SELECT * WHERE {{ {{ SELECT ?s WHERE {{ SERVICE <{url}/q> {{ ?s ?p ?o }} }} }} }}", "SERVICE"),
    ("SELECT * WHERE {{ BIND(<{url}/x> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}", "SERVICE"),
    ("SELECT * FROM <{url}/graph.nt> WHERE {{ ?s ?p ?o }}", "FROM"),
    ("SELECT * FROM NAMED <{url}/graph.nt> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", "FROM NAMED"),
    ("SELECT * FROM <file:///etc/passwd> WHERE {{ ?s ?p ?o }}", "FROM"),
    ("ASK FROM <{url}/graph.nt> {{ ?s ?p ?o }}", "FROM"),
    ("CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}", "SERVICE"),
    ("LOAD <{url}/graph.nt>", "LOAD"),
    ("LOAD <{url}/graph.nt> INTO GRAPH <urn:g>", "LOAD"),
    ("INSERT DATA {{ <urn:a> <urn:b> <urn:c> }}", "INSERT"),
]


@pytest.mark.parametrize("query, word", REMOTE, ids=[f"{n}-{w}" for n, (_, w) in enumerate(REMOTE)])
def test_remote_access_is_refused_and_the_server_receives_nothing(capsys, log, server, query, word):
    url, requests = server
    status = main(["sparql", str(log), query.format(url=url)])
    out, err = capsys.readouterr()
    assert status == 2, (out, err)
    one_error_line(err, word, "refused")
    assert "Traceback" not in err
    assert requests == []


def test_the_server_is_reachable(server):
    import urllib.request

    url, requests = server
    with urllib.request.urlopen(f"{url}/probe", timeout=10) as response:
        assert response.status == 200
    assert requests == ["/probe"]


def test_network_access_during_a_query_is_refused(server):
    import urllib.request

    from logprov.query import QueryError
    from logprov.query.sparql import isolated

    url, requests = server
    with pytest.raises(QueryError, match="network access refused"):
        with isolated():
            urllib.request.urlopen(f"{url}/inside", timeout=10)
    assert requests == []
    with urllib.request.urlopen(f"{url}/after", timeout=10):
        pass
    assert requests == ["/after"]


@pytest.mark.parametrize("query", [
    "SELECT ?s WHERE { ?s ?p }",
    "SELECT * WHERE { ?s undefined:p ?o }",
    "PREFIX : <x> SELEKT",
    "",
])
def test_every_bad_query_is_one_error_line(capsys, log, query):
    status = main(["sparql", str(log), query])
    _, err = capsys.readouterr()
    assert status == 2
    one_error_line(err, "bad SPARQL query")


def test_a_local_query_still_answers(capsys, log):
    status = main(["sparql", str(log), "SELECT ?name WHERE { ?a a prov:Activity ; rdfs:label ?name }", "--json"])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert {"read_table", "write_table", "make_input"} <= set(out.replace('"', " ").split())
