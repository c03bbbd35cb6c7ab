"""Stable ids of files and directories: a digest of their content with a configurable
cryptographic hash, cached by path, size, modification time and inode; products with embedded
provenance by their content without it (`logprov.products.contentid`)."""

from __future__ import annotations

import hashlib
import os
import stat
from collections import OrderedDict
from dataclasses import dataclass

from ...products.contentid import looks_like_product, product_digests

__all__ = ["FileDigest", "FileHasher"]

#: Bytes read at a time.
_BLOCK = 1 << 20


_ABSOLUTE_PATHS: dict[str, str] = {}
_MAX_ABSOLUTE_PATHS = 4096


def _full_path(path: str | os.PathLike) -> str:
    """Return ``path`` with environment variables and ``~`` expanded, absolute and normalised.

    Results for absolute paths without variables (which depend neither on the environment nor
    on the working directory) are remembered.
    """
    text = os.fspath(path)
    full = _ABSOLUTE_PATHS.get(text)
    if full is not None:
        return full
    full = os.path.abspath(os.path.expanduser(os.path.expandvars(text)))
    if type(text) is str and "$" not in text and "%" not in text and os.path.isabs(text):
        if len(_ABSOLUTE_PATHS) >= _MAX_ABSOLUTE_PATHS:
            _ABSOLUTE_PATHS.clear()
        _ABSOLUTE_PATHS[text] = full
    return full


@dataclass(frozen=True)
class FileDigest:
    """Digest of a file or file collection.

    Attributes
    ----------
    entity_id : str
        ``file:<hex digest>``.
    digest : str
        The hexadecimal digest.
    hash_type : str
        The algorithm.
    size : int or None
        Size in bytes of the file (None for a directory listing).
    path : str
        The absolute path that was hashed.
    """

    entity_id: str
    digest: str
    hash_type: str
    size: int | None
    path: str


class FileHasher:
    """Hash files by content, caching digests by path, size, modification time and inode.

    Parameters
    ----------
    hash_type : str
        A ``hashlib`` algorithm name.
    cache_size : int
        Number of paths whose digest is remembered.
    """

    def __init__(self, hash_type: str = "sha256", cache_size: int = 4096) -> None:
        hashlib.new(hash_type)
        self.hash_type = hash_type
        self.cache_size = cache_size
        self._cache: "OrderedDict[str, tuple[tuple, FileDigest]]" = OrderedDict()

    def file(self, path: str | os.PathLike) -> FileDigest:
        """Return the digest of the file at ``path``.

        Raises
        ------
        OSError
            When the file cannot be read.
        """
        full = _full_path(path)
        st = os.stat(full)
        if stat.S_ISDIR(st.st_mode):
            return self.collection(full)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(f"{full} is not a regular file")
        signature = (st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev)
        cached = self._cache.get(full)
        if cached is not None and cached[0] == signature:
            self._cache.move_to_end(full)
            return cached[1]
        digest = self._hash_file(full)
        result = FileDigest(f"file:{digest}", digest, self.hash_type, st.st_size, full)
        self._remember(full, signature, result)
        return result

    def collection(self, path: str | os.PathLike, index: str | None = None) -> FileDigest:
        """Return the digest of a directory: its index file when given, else its listing."""
        full = _full_path(path)
        if index:
            index_path = os.path.join(full, os.path.expandvars(index))
            if os.path.isfile(index_path):
                found = self.file(index_path)
                return FileDigest(found.entity_id, found.digest, found.hash_type, found.size, full)
        h = hashlib.new(self.hash_type)
        for root, dirs, files in os.walk(full):
            dirs.sort()
            relative = os.path.relpath(root, full)
            for name in sorted(files):
                try:
                    st = os.stat(os.path.join(root, name))
                except OSError:
                    continue
                line = f"{relative}/{name}\t{st.st_size}\t{st.st_mtime_ns}\n"
                h.update(line.encode("utf-8", "surrogateescape"))
        digest = h.hexdigest()
        return FileDigest(f"file:{digest}", digest, self.hash_type, None, full)

    def _hash_file(self, full: str) -> str:
        h = hashlib.new(self.hash_type)
        view = memoryview(bytearray(_BLOCK))
        with open(full, "rb", buffering=0) as stream:
            count = stream.readinto(view)
            if count and looks_like_product(bytes(view[:16])):
                product = product_digests(full, (self.hash_type,))
                if product:
                    return product[self.hash_type]
            while count:
                h.update(view[:count])
                count = stream.readinto(view)
        return h.hexdigest()

    def _remember(self, full: str, signature: tuple, result: FileDigest) -> None:
        self._cache[full] = (signature, result)
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
