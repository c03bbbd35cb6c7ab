"""Reading ctapipe provenance logs and HDF5 files with ctapipe/lstchain provenance.

`logprov.reading.kinds` registers both as kinds of sources. Both are read whole: the activities they hold become lines of logprov records
(`logprov.records.lines.record_lines`), which the reader then reads as it reads any log. Files the
activities name are hashed with the default configuration's ``hash_type``, as a capture with the
default configuration identifies them; read with logs of another ``hash_type``, they are hashed
again with it (`logprov.ctapipe.joins`).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import zlib
from typing import Any, Iterator

from ..settings.config import Config
from ..errors import LogReadError
from ..capture.identity import FileHasher
from ..records.lines import record_lines
from .records import CtapipeRecords, looks_like_log, split_arrays

__all__ = ["is_log", "open_log", "has_activities", "open_hdf5", "activities_of_log", "activities_of_hdf5"]

_GZIP_MAGIC = b"\x1f\x8b"
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_GROUP = "provenance"
#: Datasets of ``/provenance`` that hold logprov's own embedded provenance.
_LOGPROV_DATASETS = frozenset({"prov_json", "logprov_records"})


def _mapper() -> CtapipeRecords:
    config = Config()
    return CtapipeRecords(FileHasher(config.hash_type), config.secrecy)


def activities_of_log(path: str) -> Iterator[tuple[int, dict]]:
    """Yield ``(line, activity)`` for the activities of a ctapipe provenance log (maybe gzip).

    Raises
    ------
    LogReadError
        Naming the file and the line, when it cannot be read or is not such a log.
    """
    try:
        with open(path, "rb") as stream:
            data = stream.read()
        if data.startswith(_GZIP_MAGIC):
            data = gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise LogReadError(f"cannot read: {exc}", path) from None
    text = data.decode("utf-8", "replace")
    try:
        for line, array in split_arrays(text, path):
            for activity in array:
                yield line, activity
    except ValueError as exc:
        source, number, message = str(exc).split(":", 2)
        raise LogReadError(message.strip(), path, int(number)) from None


def _h5py(path: str) -> Any:
    try:
        import h5py
    except ImportError:
        raise LogReadError("reading provenance from HDF5 needs h5py: pip install h5py", path) from None
    return h5py


def _datasets(handle: Any, h5py: Any) -> Iterator[tuple[str, Any]]:
    group = handle.get(_GROUP)
    if not isinstance(group, h5py.Group):
        return
    for name in sorted(group):
        dataset = group.get(name)
        if name not in _LOGPROV_DATASETS and isinstance(dataset, h5py.Dataset) and dataset.shape == ():
            if dataset.dtype.kind in "OSU":
                yield name, dataset


def has_activities(path: str, head: bytes) -> bool:
    """Return True when ``path`` is an HDF5 file with text datasets under ``/provenance`` other
    than logprov's own (or h5py is missing, so that reading it says so)."""
    if not head.startswith(_HDF5_MAGIC):
        return False
    try:
        import h5py
    except ImportError:
        return True
    try:
        with h5py.File(path, "r") as handle:
            return any(True for _ in _datasets(handle, h5py))
    except (OSError, ValueError):
        return False


def activities_of_hdf5(path: str) -> Iterator[tuple[str, dict]]:
    """Yield ``(dataset, activity)`` for the activities of the ``/provenance`` datasets of an
    HDF5 file (one JSON activity, or a JSON list of them, per dataset).

    Raises
    ------
    LogReadError
        Naming the file and the dataset, when a dataset is not such JSON.
    """
    h5py = _h5py(path)
    found: list[tuple[str, Any]] = []
    try:
        with h5py.File(path, "r") as handle:
            for name, dataset in _datasets(handle, h5py):
                value = dataset[()]
                found.append((f"/{_GROUP}/{name}", value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)))
    except OSError as exc:
        raise LogReadError(f"cannot read /{_GROUP}: {exc}", path) from None
    for name, text in found:
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise LogReadError(f"dataset {name} is not JSON: {exc}", path) from None
        for activity in value if isinstance(value, list) else [value]:
            yield name, activity


def _records(path: str, activities: Iterator[tuple[Any, dict]]) -> list[str]:
    mapper = _mapper()
    lines: list[str] = []
    for where, activity in activities:
        try:
            pairs = mapper.records(activity)
        except ValueError as exc:
            if isinstance(where, int):
                raise LogReadError(f"ctapipe activity: {exc}", path, where) from None
            raise LogReadError(f"ctapipe activity in {where}: {exc}", path) from None
        lines.extend(record_lines(pairs))
    return lines


def is_log(path: str, head: bytes) -> bool:
    """Return True when ``head``, the start of the file at ``path``, is that of a ctapipe
    provenance log."""
    return looks_like_log(head)


@contextlib.contextmanager
def open_log(path: str) -> Iterator[io.StringIO]:
    """Give the lines of logprov records of the ctapipe provenance log at ``path``."""
    yield io.StringIO("".join(_records(path, activities_of_log(path))))


@contextlib.contextmanager
def open_hdf5(path: str) -> Iterator[io.StringIO]:
    """Give the lines of logprov records of the ``/provenance`` activities of an HDF5 file."""
    yield io.StringIO("".join(_records(path, activities_of_hdf5(path))))
