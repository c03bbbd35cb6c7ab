"""Write text or bytes to a stream of either kind."""

from __future__ import annotations

import io
from typing import IO, Any, Union

__all__ = ["is_text_stream", "write_to"]


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
