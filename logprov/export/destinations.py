"""Where an export goes: text or bytes written to a stream of either kind."""

from __future__ import annotations

import codecs
import io
import shutil
from typing import IO, Any, Union

__all__ = ["is_text_stream", "write_to", "BinaryOutput"]

_CHUNK = 1 << 20


def is_text_stream(stream: IO[Any]) -> bool:
    """Return True when ``stream`` takes ``str`` rather than ``bytes``."""
    if isinstance(stream, io.TextIOBase):
        return True
    if isinstance(stream, (io.RawIOBase, io.BufferedIOBase)):
        return False
    return "b" not in getattr(stream, "mode", "") and hasattr(stream, "encoding")


def write_to(stream: IO[Any], data: Union[str, bytes]) -> None:
    """Write ``data`` to ``stream``, encoding or decoding it as UTF-8 to suit the stream."""
    if is_text_stream(stream):
        stream.write(data if isinstance(data, str) else data.decode("utf-8"))
    else:
        stream.write(data.encode("utf-8") if isinstance(data, str) else data)


class BinaryOutput:
    """UTF-8 bytes written to a binary or a text stream.

    Parameters
    ----------
    stream : file-like
        The destination.
    """

    def __init__(self, stream: IO[Any]) -> None:
        self.stream = stream
        self.text = is_text_stream(stream)
        self._decoder = codecs.getincrementaldecoder("utf-8")() if self.text else None

    def write(self, data: bytes) -> None:
        """Write ``data``."""
        if self._decoder is not None:
            self.stream.write(self._decoder.decode(data))
        elif data:
            self.stream.write(data)

    def copy_from(self, source: IO[bytes]) -> None:
        """Write the rest of ``source``."""
        if self._decoder is None:
            shutil.copyfileobj(source, self.stream, _CHUNK)
            return
        for chunk in iter(lambda: source.read(_CHUNK), b""):
            self.write(chunk)
