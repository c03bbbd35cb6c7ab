"""Records written straight from a running process into a store, batch by batch (the work of
`logprov.handlers.StoreHandler`'s background thread)."""

from __future__ import annotations

import io
import os
import socket
import uuid
from typing import Optional

from ..query.facts import FactReader
from ..reading.reader import iter_records
from .engines import Engine, connect
from .schema import prepare
from .writer import StoreWriter

__all__ = ["Shipper"]


class Shipper:
    """Writes batches of formatted log lines into a store, as one source of its own.

    Parameters
    ----------
    address : str
        The store.
    """

    def __init__(self, address: str) -> None:
        self.address = address
        self.key = f"stream:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4()}"
        self.engine: Optional[Engine] = None
        self.writer: Optional[StoreWriter] = None

    def ship(self, lines: list[str]) -> None:
        """Store the records of ``lines`` in one transaction: all of them, or (raising) none.

        Raises
        ------
        StoreError, OSError, or the driver's error
            If the store cannot be reached or written.
        """
        if self.engine is None:
            self.engine = connect(self.address)
            prepare(self.engine)
            self.writer = StoreWriter(self.engine)
        engine, writer = self.engine, self.writer
        assert writer is not None
        text = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
        found = list(iter_records(io.StringIO(text)))
        FactReader(writer).add_all(found)
        records = len(found)
        size = len(text.encode("utf-8", "backslashreplace"))
        with engine.transaction():
            writer.flush()
            engine.run("INSERT INTO source (src_key, src_host, src_offset, src_records) VALUES (?, ?, 0, 0) "
                       "ON CONFLICT (src_key) DO NOTHING", (self.key, socket.gethostname()))
            engine.run("UPDATE source SET src_offset = src_offset + ?, src_records = src_records + ? "
                       "WHERE src_key = ?", (size, records, self.key))

    def close(self) -> None:
        """Close the connection."""
        if self.engine is not None:
            self.engine.close()
            self.engine = None
