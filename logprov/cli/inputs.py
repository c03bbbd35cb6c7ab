"""How a command reads logs: the records its filters select, or the queries of `logprov.query`."""

from __future__ import annotations

import argparse
import itertools
from typing import Iterator, Sequence

from ..errors import LogprovError
from ..query import NotFound, Progress, Provenance
from ..query import open as open_provenance
from ..query.progress import source_sizes, track
from ..query.select import window_records
from ..query.window import Window
from ..reading.reader import ProvRecord, ReadStats, iter_records

__all__ = ["progress", "window", "sources", "records", "first", "open_logs"]


def progress(args: argparse.Namespace) -> Progress:
    """Return the progress bar of a command: on a terminal, unless ``--quiet``."""
    return Progress(enabled=False if getattr(args, "quiet", False) else None)


def window(args: argparse.Namespace) -> Window:
    """Return the window of ``--since``, ``--until`` and ``--session``."""
    return Window(args.since, args.until, args.session)


def sources(args: argparse.Namespace, extra: int = 0) -> None:
    """Check that a command was given logs or ``--store``, not both; ``extra`` positional
    arguments (a lineage's target) come after the logs.

    Raises
    ------
    LogprovError
        If it has neither or both.
    """
    store = getattr(args, "store", None)
    if store is not None and len(args.logs) > extra:
        raise LogprovError("give logs or --store, not both")
    if store is None and len(args.logs) <= extra:
        raise LogprovError("give one or more logs (or --store URL)")


def records(args: argparse.Namespace, counts: dict) -> Iterator[ProvRecord]:
    """Yield the records of the logs (or of the store) that the filters select, counting all
    records read."""
    sources(args)
    if getattr(args, "store", None) is not None:
        return _stored(args, counts)
    stats = ReadStats()
    read = track(iter_records(args.logs, stats=stats), progress(args), "reading", counts, stats,
                 source_sizes(args.logs))
    return window_records(read, window(args))


def first(selected: Iterator[ProvRecord], counts: dict, logs: Sequence[str]) -> Iterator[ProvRecord]:
    """Return ``selected`` unchanged, after checking that there is at least one.

    Raises
    ------
    LogprovError
        If the logs hold no record.
    NotFound
        If the filters select none.
    """
    try:
        head = next(selected)
    except StopIteration:
        if not counts.get("records"):
            raise LogprovError(f"no provenance records in {', '.join(logs) or 'the store'}") from None
        raise NotFound("no records in the selected time window and sessions") from None
    return itertools.chain([head], selected)


def _stored(args: argparse.Namespace, counts: dict) -> Iterator[ProvRecord]:
    """Yield the records made again from the rows of the store (see `logprov.store.records`)."""
    from ..store import connect
    from ..store.records import stored_records
    from ..store.schema import prepare

    engine = connect(args.store)
    try:
        prepare(engine, write=False)
        for record in window_records(stored_records(engine), window(args)):
            counts["records"] = counts.get("records", 0) + 1
            yield record
    finally:
        engine.close()


def open_logs(args: argparse.Namespace, extra: int = 0) -> Provenance:
    """Return the provenance of the logs (or of the store) of a command, through the filters.

    Raises
    ------
    LogprovError
        If the logs hold no record, or the command has neither logs nor ``--store``.
    """
    sources(args, extra)
    if getattr(args, "store", None) is not None:
        return open_provenance(None, args.since, args.until, args.session, store=args.store)
    provenance = open_provenance(args.logs, args.since, args.until, args.session,
                                 index=not args.no_index, progress=progress(args))
    if provenance.records == 0:
        provenance.close()
        raise LogprovError(f"no provenance records in {', '.join(args.logs)}")
    return provenance
