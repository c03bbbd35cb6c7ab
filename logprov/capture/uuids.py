"""Random (version 4) UUIDs for sessions, activities and notes, made in batches."""

from __future__ import annotations

import os

__all__ = ["new_uuid"]

_UUID_BATCH = 128
_UUID_SIZE = 37
#: Random byte to hexadecimal digit (of its low 4 bits) and to RFC 4122 variant digit (8 to b).
_HEX_DIGIT = bytes(b"0123456789abcdef"[byte & 0x0F] for byte in range(256))
_VARIANT_DIGIT = bytes(b"89ab"[byte & 0x03] for byte in range(256))
_VARIANT_POSITION = 19
#: Characters at fixed positions of ``xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx`` and a line end.
_UUID_FIXED = tuple((position, char * _UUID_BATCH) for position, char in (
    (8, b"-"), (13, b"-"), (14, b"4"), (18, b"-"), (23, b"-"), (36, b"\n"),
))
_uuids: list[str] = []
os.register_at_fork(after_in_child=_uuids.clear)


def _uuid_batch() -> list[str]:
    """Return `_UUID_BATCH` random (version 4) UUID strings, made together from `os.urandom`.

    Every character comes from one random byte: a hexadecimal digit from its low 4 bits, the
    variant digit from its low 2 bits; the dashes and the version digit are written over.
    """
    random_bytes = bytearray(os.urandom(_UUID_SIZE * _UUID_BATCH))
    variants = random_bytes[_VARIANT_POSITION::_UUID_SIZE].translate(_VARIANT_DIGIT)
    text = random_bytes.translate(_HEX_DIGIT)
    text[_VARIANT_POSITION::_UUID_SIZE] = variants
    for position, chars in _UUID_FIXED:
        text[position::_UUID_SIZE] = chars
    return text.decode("ascii").split()


def new_uuid() -> str:
    """Return a random (version 4) UUID string.

    UUIDs are made in batches from `os.urandom`; a child process drops those its parent left.
    """
    try:
        return _uuids.pop()
    except IndexError:
        batch = _uuid_batch()
        text = batch.pop()
        _uuids.extend(batch)
        return text
