"""Provenance embedded in HDF5 files: datasets under the group ``/provenance``.

``/provenance/prov_json`` holds the lineage as PROV-JSON and ``/provenance/logprov_records`` the
same lineage as logprov records, each a one-dimensional dataset of unsigned bytes (fixed-length
data that h5py and PyTables both read; no variable-length strings, no large attributes). Small
attributes of ``prov_json`` say what they hold (see ``docs/products.md``). Other datasets under
``/provenance`` (written by other software) are left alone.
"""

from __future__ import annotations

import hashlib
from typing import Any, Optional

from .layout import Embedded, EmbeddedError, Encoded, decode_part

__all__ = ["HDF5_MAGIC", "GROUP", "is_hdf5", "has_embedded", "read", "write", "structure_digest",
           "embedded_identity"]

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
GROUP = "provenance"
PROV_JSON = "prov_json"
RECORDS = "logprov_records"
SOFTWARE = "logprov"
_ROWS = 1 << 16


def is_hdf5(head: bytes) -> bool:
    """Return True when ``head`` starts an HDF5 file."""
    return head.startswith(HDF5_MAGIC)


def _h5py(path: str) -> Any:
    try:
        import h5py
    except ImportError:
        raise EmbeddedError("reading provenance from HDF5 needs h5py: pip install 'logprov[hdf5]'", path) from None
    return h5py


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _fixed(value: str) -> Any:
    import numpy as np

    return np.bytes_(value.encode("utf-8"))


def has_embedded(path: str) -> bool:
    """Return True when the HDF5 file at ``path`` carries logprov's provenance, or h5py is
    missing or cannot open it (a damaged file, a file cut short), so that reading it says so."""
    try:
        import h5py
    except ImportError:
        return True
    try:
        handle = h5py.File(path, "r")
    except OSError:
        return True
    try:
        with handle:
            group = handle.get(GROUP)
            return isinstance(group, h5py.Group) and (PROV_JSON in group or RECORDS in group)
    except (OSError, ValueError):
        return False


def _feed_value(update: Any, value: Any) -> None:
    import numpy as np

    array = np.asarray(value)
    update(f"{array.dtype.str}{array.shape}".encode())
    if array.dtype.hasobject:
        for item in array.ravel().tolist():
            data = item if isinstance(item, bytes) else str(item).encode("utf-8", "surrogatepass")
            update(b"%d:" % len(data) + data)
    else:
        update(np.ascontiguousarray(array).tobytes())


def _feed_attrs(update: Any, obj: Any) -> None:
    for name in sorted(obj.attrs):
        update(b"A" + name.encode("utf-8", "surrogatepass") + b"\0")
        try:
            _feed_value(update, obj.attrs[name])
        except (OSError, TypeError, ValueError):
            update(b"?")


def structure_digest(handle: Any, algorithm: str) -> str:
    """Return a digest of the content of an open HDF5 file with ``/provenance`` left out: the
    names, types, shapes, data and attributes of its groups and datasets, in name order."""
    import h5py

    digest = hashlib.new(algorithm)
    update = digest.update
    _feed_attrs(update, handle)
    names: list = []
    handle.visit(names.append)
    for name in sorted(names):
        if name == GROUP or name.startswith(GROUP + "/"):
            continue
        obj = handle.get(name)
        update(b"\nN" + name.encode("utf-8", "surrogatepass") + b"\0")
        if isinstance(obj, h5py.Dataset):
            update(f"D{obj.dtype.str}{obj.shape}".encode())
            if obj.shape is None:
                pass
            elif obj.shape == ():
                _feed_value(update, obj[()])
            else:
                for start in range(0, obj.shape[0], _ROWS):
                    _feed_value(update, obj[start : start + _ROWS])
        else:
            update(b"G")
        if obj is not None:
            _feed_attrs(update, obj)
    return digest.hexdigest()


def embedded_identity(path: str, algorithms: Any) -> Optional[dict]:
    """Return ``{algorithm: digest}`` identifying an HDF5 product that carries logprov's
    provenance: the digest of the file as it was before embedding, valid while the rest of the
    file still has the structure digest recorded then; None otherwise."""
    try:
        import h5py
    except ImportError:
        return None
    try:
        with h5py.File(path, "r") as handle:
            dataset = handle.get(f"{GROUP}/{PROV_JSON}")
            if dataset is None or _text(dataset.attrs.get("software", "")) != SOFTWARE:
                return None
            algorithm = _text(dataset.attrs.get("product_hash_type", ""))
            product = _text(dataset.attrs.get("product_hash", ""))
            recorded = _text(dataset.attrs.get("structure_digest", ""))
            if algorithm not in algorithms or not product or not recorded:
                return None
            if structure_digest(handle, algorithm) != recorded:
                return None
            return {algorithm: product}
    except (OSError, ValueError, TypeError, KeyError):
        return None


def read(path: str) -> Embedded:
    """Return the provenance embedded in the HDF5 file at ``path``.

    Raises
    ------
    EmbeddedError
        If it has none, a damaged one, h5py is missing, or the file is damaged (cut short, say)
        so that h5py cannot open it.
    """
    h5py = _h5py(path)
    try:
        handle = h5py.File(path, "r")
    except OSError as exc:
        raise EmbeddedError(f"damaged HDF5 file: h5py cannot open it ({exc})", path) from None
    try:
        with handle:
            group = handle.get(GROUP)
            if group is None:
                raise EmbeddedError("no /provenance group (no provenance embedded)", path)
            parts = {}
            for name in (PROV_JSON, RECORDS):
                dataset = group.get(name)
                if not isinstance(dataset, h5py.Dataset):
                    raise EmbeddedError(f"no dataset /{GROUP}/{name}", path)
                if dataset.dtype.kind != "u" or dataset.dtype.itemsize != 1 or dataset.ndim != 1:
                    raise EmbeddedError(f"dataset /{GROUP}/{name} is not a byte array ({dataset.dtype})", path)
                parts[name] = (dataset[()].tobytes(), _text(dataset.attrs.get("encoding", "none")))
            attrs = {key: value.item() if hasattr(value, "item") else value
                     for key, value in group[PROV_JSON].attrs.items()}
    except OSError as exc:
        raise EmbeddedError(f"cannot read /{GROUP}: {exc}", path) from None
    attrs = {key: _text(value) if isinstance(value, bytes) else value for key, value in attrs.items()}
    meta = {"PROVVERS": attrs.get("software_version"), "DATE": attrs.get("date"),
            "PRODHASH": attrs.get("product_hash"), "PRODALG": attrs.get("product_hash_type"),
            "NACTIV": attrs.get("activities"), "NENTITY": attrs.get("entities")}
    return Embedded(
        prov_json=decode_part(*parts[PROV_JSON], path, f"dataset /{GROUP}/{PROV_JSON}"),
        records=decode_part(*parts[RECORDS], path, f"dataset /{GROUP}/{RECORDS}"),
        meta={key: value for key, value in meta.items() if value is not None},
    )


def write(path: str, embedded: Embedded, parts: Encoded, product_hash: str, algorithm: str) -> None:
    """Write ``embedded`` (encoded as ``parts``) into the HDF5 file at ``path`` (in place),
    replacing logprov's former datasets under ``/provenance``.

    Raises
    ------
    EmbeddedError
        If h5py is missing, ``/provenance`` is not a group (a dataset, say), or the file cannot
        be written.
    """
    import numpy as np

    h5py = _h5py(path)
    prov_json, prov_encoding = parts.prov_json, parts.prov_json_encoding
    records, records_encoding = parts.records, parts.records_encoding
    try:
        with h5py.File(path, "a") as handle:
            existing = handle.get(GROUP)
            if existing is not None and not isinstance(existing, h5py.Group):
                raise EmbeddedError(f"/{GROUP} is a {type(existing).__name__.lower()}, not a group: the lineage "
                                    f"is not written (rename or remove /{GROUP} to embed it)", path)
            structure = structure_digest(handle, algorithm)
            group = handle.require_group(GROUP)
            for name in (PROV_JSON, RECORDS):
                if name in group:
                    del group[name]
            json_set = group.create_dataset(PROV_JSON, data=np.frombuffer(prov_json, dtype=np.uint8))
            records_set = group.create_dataset(RECORDS, data=np.frombuffer(records, dtype=np.uint8))
            texts = {
                "software": SOFTWARE, "software_version": str(embedded.meta.get("PROVVERS", "")),
                "date": str(embedded.meta.get("DATE", "")), "format": "PROV-JSON", "encoding": prov_encoding,
                "product_hash": product_hash, "product_hash_type": algorithm, "structure_digest": structure,
            }
            json_set.attrs.update({key: _fixed(value) for key, value in texts.items()})
            json_set.attrs["activities"] = np.int64(embedded.meta.get("NACTIV", 0))
            json_set.attrs["entities"] = np.int64(embedded.meta.get("NENTITY", 0))
            records_set.attrs.update({"format": _fixed("logprov records"), "encoding": _fixed(records_encoding)})
    except OSError as exc:
        raise EmbeddedError(f"cannot write /{GROUP}: {exc}", path) from None
