"""Stable identifiers for Python values (`values`) and for files and file collections (`files`).

The names other modules use are importable from here.
"""

from __future__ import annotations

from .budget import UnidentifiableValue
from .buffers import hash_array_data, hash_buffer
from .files import FileDigest, FileHasher
from .values import ValueDigester

__all__ = ["ValueDigester", "hash_buffer", "hash_array_data", "FileHasher", "FileDigest", "UnidentifiableValue"]
