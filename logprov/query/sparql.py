"""SPARQL queries over the PROV-O graph of logs, run with no access to the network or to files.

A query may only read the graph it is given: ``SERVICE`` (a federated query), ``FROM`` and
``FROM NAMED`` (graphs loaded from an IRI, ``file:`` included) and updates (``LOAD``,
``INSERT``, ...) are refused before anything runs, and while a query runs every attempt of
this thread to open a URL or a network connection is refused as well. `answer` runs a
prepared query over the graph of `graph_of` and returns its rows, its truth or its triples as text.
"""

from __future__ import annotations

import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping

from .provenance import QueryError

__all__ = ["Answer", "namespaces", "graph_of", "prepare", "isolated", "answer"]

#: Audit events of a network access: opening a URL, resolving a name, connecting a socket.
_NETWORK_EVENTS = frozenset({"urllib.Request", "socket.connect", "socket.getaddrinfo",
                             "socket.gethostbyname", "socket.gethostbyaddr"})
_local = threading.local()
_hook_lock = threading.Lock()
_hooked = False


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return " ".join(text.splitlines()[0].split()) if text else type(exc).__name__


def _parts(value: Any) -> Iterator[Any]:
    """Yield ``value`` and every algebra node and term inside it."""
    stack = [value]
    while stack:
        item = stack.pop()
        yield item
        if isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)


def prepare(text: str, namespaces: Mapping[str, str]) -> Any:
    """Return the prepared query of ``text``, refusing what would reach beyond the graph.

    Parameters
    ----------
    text : str
        A SPARQL query.
    namespaces : mapping
        Prefixes predefined for the query.

    Raises
    ------
    QueryError
        If the query does not parse, is an update, or uses ``SERVICE``, ``FROM`` or
        ``FROM NAMED``.
    """
    from rdflib.plugins.sparql import prepareQuery
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        query = prepareQuery(text, initNs=dict(namespaces))
    except Exception as exc:
        try:
            update = dict.get(parseUpdate(text), "request")
        except Exception:
            update = None
        if not update:
            raise QueryError(f"bad SPARQL query: {_first_line(exc)}") from None
        raise QueryError("SPARQL updates (LOAD, INSERT, DELETE, CLEAR, ...) are refused: "
                         "only queries over the logs are run") from None
    if dict.get(query.algebra, "datasetClause"):
        raise QueryError("FROM and FROM NAMED are refused: a query reads only the graph of the logs, "
                         "never a graph named by an IRI or a file")
    for part in _parts(query.algebra):
        if getattr(part, "name", None) == "ServiceGraphPattern":
            raise QueryError("SERVICE is refused: a query reads only the graph of the logs, "
                             "never a remote endpoint")
    return query


def _audit(event: str, args: tuple) -> None:
    if event in _NETWORK_EVENTS and getattr(_local, "isolated", False):
        raise PermissionError(f"network access refused while a SPARQL query runs ({event})")


def _install_hook() -> None:
    global _hooked
    with _hook_lock:
        if not _hooked:
            sys.addaudithook(_audit)
            _hooked = True


@contextmanager
def isolated() -> Iterator[None]:
    """Run the enclosed code with network access refused in this thread; any error it raises
    becomes a one-line `QueryError`."""
    _install_hook()
    _local.isolated = True
    try:
        yield
    except QueryError:
        raise
    except Exception as exc:
        raise QueryError(f"SPARQL query failed: {_first_line(exc)}") from None
    finally:
        _local.isolated = False


def namespaces() -> dict[str, str]:
    """Return the prefixes predefined for queries: those of the PROV-O export (``prov``,
    ``logprov``, ``voprov``, ``xsd``, ``rdfs``, ``rdf``, ``session``, ``activity``, ``param``,
    ``agent``, ``desc``, ``gen``) and ``file`` for the ids of files."""
    from ..model.identifiers import BASE_NAMESPACES

    found = {"prov": "http://www.w3.org/ns/prov#", "xsd": "http://www.w3.org/2001/XMLSchema#",
             "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
             "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "file": "urn:logprov:file:"}
    found.update({namespace.prefix: namespace.uri for namespace in BASE_NAMESPACES})
    return found


def graph_of(records: Iterable[Any]) -> Any:
    """Return the RDF graph (an `rdflib.Graph`) of the PROV-O export of ``records``."""
    from ..export.rdf import to_graph
    from ..model import build_document

    return to_graph(build_document(records))


@dataclass(frozen=True)
class Answer:
    """What a query found.

    Attributes
    ----------
    form : {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}
        The form of the query.
    ask : bool
        The answer of an ``ASK`` query.
    names : list of str
        The variables of a ``SELECT`` query.
    rows : list of list of str
        Its rows: each term as text (an IRI in a predefined prefix written ``prefix:local``, a
        literal as its text, an unbound variable as ``""``).
    triples : str
        The graph of a ``CONSTRUCT`` or ``DESCRIBE`` query, serialised; ``""`` when empty.
    """

    form: str
    ask: bool = False
    names: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    triples: str = ""


def _term(value: Any, graph: Any) -> str:
    if value is None:
        return ""
    from rdflib import Literal, URIRef

    if isinstance(value, URIRef):
        return str(value.n3(graph.namespace_manager))
    if isinstance(value, Literal):
        return str(value)
    return str(value.n3())


def answer(graph: Any, query: Any, triples: str = "turtle") -> Answer:
    """Run the prepared ``query`` over ``graph``, isolated (see `isolated`).

    Parameters
    ----------
    graph : rdflib.Graph
        The graph of the logs (see `graph_of`).
    query : object
        A query of `prepare`.
    triples : str
        The rdflib format of the graph a ``CONSTRUCT`` or ``DESCRIBE`` query returns
        (``turtle``, ``nt``).

    Raises
    ------
    QueryError
        If the query fails, or reaches for the network.
    """
    with isolated():
        result = graph.query(query)
        if result.type == "ASK":
            return Answer(result.type, ask=bool(result.askAnswer))
        if result.type in ("CONSTRUCT", "DESCRIBE"):
            text = result.graph.serialize(format=triples) if len(result.graph) else ""
            return Answer(result.type, triples=text)
        rows = [[_term(value, graph) for value in row] for row in result]
        return Answer(result.type, names=[str(var) for var in result.vars], rows=rows)
