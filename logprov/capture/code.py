"""Code identity of traced functions: an explicit version and a digest of the source, worked
out once when a function is decorated."""

from __future__ import annotations

import hashlib
import inspect
import textwrap
from typing import Any, Callable, Optional

__all__ = ["code_identity", "source_digest"]


def source_digest(func: Callable) -> Optional[str]:
    """Return ``sha256:<hex>`` of the source of ``func`` (dedented, decorators included), or of
    its compiled code when the source cannot be read (interactive sessions, frozen modules);
    None when neither exists."""
    try:
        text = textwrap.dedent(inspect.getsource(func)).encode("utf-8", "surrogatepass")
    except (OSError, TypeError):
        code = getattr(func, "__code__", None)
        if code is None:
            return None
        text = code.co_code + repr(code.co_consts).encode("utf-8", "backslashreplace")
    return "sha256:" + hashlib.sha256(text).hexdigest()


def code_identity(func: Callable, version: Any = None) -> dict:
    """Return ``{"version": …, "digest": …}`` of ``func``, leaving out what is unknown."""
    identity: dict = {}
    if version is not None:
        identity["version"] = str(version)
    try:
        digest = source_digest(func)
    except Exception:  # a capture problem never breaks the decoration
        digest = None
    if digest is not None:
        identity["digest"] = digest
    return identity
