"""Temporary files that collect the parts of a streamed export until it is put together."""

from __future__ import annotations

import os
from typing import IO, TYPE_CHECKING, List, Optional

if TYPE_CHECKING:
    from .destinations import BinaryOutput

__all__ = ["Spool"]

_CHUNK = 1 << 20


class Spool:
    """Bytes collected in `parts` and written in large writes to a temporary file.

    Parameters
    ----------
    path : str
        The temporary file (created on the first `flush` with something to write).

    Attributes
    ----------
    parts : list of bytes
        What was appended since the last `flush`; append to it directly.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.parts: List[bytes] = []
        self._file: Optional[IO[bytes]] = None

    @property
    def empty(self) -> bool:
        """True when nothing was appended."""
        return self._file is None and not self.parts

    def flush(self) -> None:
        """Write `parts` to the file."""
        if self.parts:
            if self._file is None:
                self._file = open(self.path, "wb")
            self._file.write(b"".join(self.parts))
            self.parts = []

    def copy_to(self, output: "BinaryOutput", skip: int = 0) -> None:
        """Write what was appended to ``output``, without its first ``skip`` bytes."""
        if self._file is None:
            output.write(b"".join(self.parts)[skip:])
            self.parts = []
            return
        self.flush()
        self._file.close()
        self._file = None
        with open(self.path, "rb") as stream:
            output.write(stream.read(_CHUNK)[skip:])
            output.copy_from(stream)
        os.unlink(self.path)

    def close(self) -> None:
        """Drop what was appended and remove the file."""
        if self._file is not None:
            self._file.close()
            self._file = None
        if os.path.exists(self.path):
            os.unlink(self.path)
        self.parts = []
