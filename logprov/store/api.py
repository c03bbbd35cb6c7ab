"""`load`: logs into a store, in one call."""

from __future__ import annotations

import os
from typing import Any, Iterable, Optional, Union

from ..query.progress import Progress
from .engines import StoreError, connect, driver_message
from .loader import Loaded, load_files, ordered_files
from .schema import prepare

__all__ = ["load"]


def load(sources: Union[str, "os.PathLike[str]", Iterable[Any]], store: Union[str, "os.PathLike[str]"],
         progress: Optional[Progress] = None) -> list[Loaded]:
    """Load the logs ``sources`` (paths, glob patterns, ``.gz`` files) into ``store``.

    Loading is idempotent and incremental: what the store holds of a log is not loaded again,
    and a log that grew loads only its new lines (see `logprov.store.loader`). The store's
    tables are created, or migrated to the current schema, first.

    Returns
    -------
    list of Loaded
        What was done with each file, in loading order.

    Raises
    ------
    LogReadError
        If a log does not exist or a pattern matches nothing.
    SourceChanged
        If a log's content differs from what was loaded from it (the logs before it are loaded).
    StoreError
        If the store cannot be reached or written.
    """
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    files = ordered_files(list(sources))
    engine = connect(store)
    try:
        prepare(engine)
        return load_files(engine, files, progress)
    except engine.errors as exc:
        raise StoreError(f"cannot write the store {engine.location}: {driver_message(exc, engine.location)}") from None
    finally:
        engine.close()
