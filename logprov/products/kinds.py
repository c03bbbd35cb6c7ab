"""Products carrying logprov's embedded provenance, as kinds of provenance sources."""

from __future__ import annotations

import contextlib
import io
from typing import Callable, Iterator

from ..reading.sourcekind import SourceKind
from . import fitsfile, hdf5file
from .layout import Embedded, EmbeddedError

__all__ = ["FITS", "HDF5", "KINDS"]


def _opener(read: Callable[[str], Embedded]) -> Callable[[str], contextlib.AbstractContextManager]:
    def open_product(path: str) -> contextlib.AbstractContextManager:
        embedded = read(path)
        try:
            text = embedded.records.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise EmbeddedError(f"embedded records are not UTF-8 ({exc})", path) from None
        return _lines(text)

    return open_product


@contextlib.contextmanager
def _lines(text: str) -> Iterator[io.StringIO]:
    yield io.StringIO(text)


FITS = SourceKind("FITS product", lambda path, head: fitsfile.is_fits(head) and fitsfile.has_provenance(path),
                   _opener(fitsfile.read), order=20)
HDF5 = SourceKind("HDF5 product", lambda path, head: hdf5file.is_hdf5(head) and hdf5file.has_embedded(path),
                  _opener(hdf5file.read), order=20)
KINDS = (FITS, HDF5)
