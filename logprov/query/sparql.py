"""SPARQL queries over the PROV-O graph of logs, run with no access to the network or to files.

A query may only read the graph it is given: ``SERVICE`` (a federated query), ``FROM`` and
``FROM NAMED`` (graphs loaded from an IRI, ``file:`` included) and updates (``LOAD``,
``INSERT``, ...) are refused before anything runs, and while a query runs every attempt of
this thread to open a URL or a network connection is refused as well.
"""

from __future__ import annotations

import sys
import threading
from contextlib import contextmanager
from typing import Any, Iterator, Mapping

from .provenance import QueryError

__all__ = ["prepare", "isolated"]

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
