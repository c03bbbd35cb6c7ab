"""Turn Python values into what a log record may hold: JSON values, short reprs, redactions."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from typing import Any, Iterable

from .secrecy import REDACTED, SecrecyPolicy

__all__ = ["ValueWriter", "short_repr"]

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+|0x[0-9a-fA-F]{6,}")
_SCALARS = (str, int, float, bool, type(None))
_KEPT = frozenset({int, bool, type(None)})
#: Characters read past the length limit before redacting and shortening a text, so that a
#: secret crossing the limit is still recognised as a whole.
_REDACTION_MARGIN = 4096


def short_repr(value: Any, limit: int) -> str:
    """Return ``repr(value)`` shortened to ``limit`` characters, without memory addresses."""
    if type(value) is str:
        text = value
    else:
        try:
            if type(value) in (bytes, bytearray, memoryview) and len(value) > limit:
                value = bytes(value[:limit])
            text = repr(value)
        except Exception as exc:
            text = f"<{type(value).__qualname__}: repr failed with {type(exc).__name__}>"
        if "0x" in text:
            text = _ADDRESS.sub("", text)
    if len(text) > limit:
        text = text[: max(limit - 3, 1)] + "..."
    return text


class ValueWriter:
    """Convert values to JSON-ready data for parameters.

    Parameters
    ----------
    secret : SecrecyPolicy
        Names whose values are replaced by ``"***"`` (also inside mappings), and the
        redaction of every text written (strings, reprs, keys).
    limit : int
        Longest string kept, and the length of reprs of values that are not JSON data.
    max_items : int
        Items of a list or mapping kept before the rest is summarised.
    max_depth : int
        Levels of nested lists and mappings written out.
    """

    def __init__(self, secret: SecrecyPolicy, limit: int = 120, max_items: int = 50, max_depth: int = 8) -> None:
        self.secret = secret
        self.limit = limit
        self.max_items = max_items
        self.max_depth = max_depth

    def convert(self, value: Any, depth: int = 0) -> Any:
        """Return ``value`` as JSON data (numbers, strings, lists, mappings) or a short repr.

        Mappings are followed to any depth so that secret-looking keys are always hidden;
        beyond ``max_depth`` levels a mapping is summarised by its size.
        """
        try:
            return self._convert(value, depth)
        except Exception:
            return self.text(value)

    def text(self, value: Any) -> str:
        """Return the short repr of ``value`` (the value itself for a string), secrets hidden."""
        return self._shortened(short_repr(value, self.limit + _REDACTION_MARGIN))

    def _shortened(self, text: str) -> str:
        if len(text) > self.limit + _REDACTION_MARGIN:
            text = text[: self.limit + _REDACTION_MARGIN]
        text = self.secret.redact_text(text)
        return text if len(text) <= self.limit else text[: max(self.limit - 3, 1)] + "..."

    def _convert(self, value: Any, depth: int) -> Any:
        cls = type(value)
        if cls is str:
            return self._shortened(value)
        if cls is bool or value is None or cls is int:
            return value
        if cls is float:
            return value if math.isfinite(value) else repr(value)
        if cls is list or cls is tuple:
            if depth >= self.max_depth:
                return f"<{cls.__name__} with {len(value)} items>"
            if len(value) <= self.max_items and _KEPT.issuperset(map(type, value)):
                return value if cls is list else list(value)
            return self._sequence(value, depth)
        if cls is dict or isinstance(value, Mapping):
            if depth >= self.max_depth:
                return f"<{type(value).__name__} with {len(value)} items>"
            return self._mapping(value, depth)
        if isinstance(value, os.PathLike):
            path = os.fspath(value)
            return self._shortened(path) if isinstance(path, str) else self.text(path)
        item = getattr(value, "item", None)
        if item is not None and getattr(value, "shape", None) == ():
            try:
                scalar = item()
            except Exception:
                scalar = None
            if isinstance(scalar, _SCALARS):
                return self._convert(scalar, depth)
        return self.text(value)

    def parameters(self, named: Iterable[tuple[str, Any]]) -> dict:
        """Convert ``(name, value)`` pairs, redacting secret names (and secrets in names)."""
        secret = self.secret
        known = secret.known
        out = {}
        for name, value in named:
            hidden = known.get(name)
            if hidden is None:
                hidden = secret(name)
            if not name.isidentifier():
                name = secret.redact_text(name)
            if hidden:
                out[name] = REDACTED
            elif type(value) in _KEPT:
                out[name] = value
            else:
                out[name] = self.convert(value)
        return out

    def _mapping(self, value: Mapping, depth: int) -> dict:
        out = {}
        for index, (key, item) in enumerate(value.items()):
            if index >= self.max_items:
                out["..."] = f"{len(value) - index} more"
                break
            if isinstance(key, str):
                name, hidden = self.secret.redact_text(key), self.secret(key)
            else:
                name = self.text(key)
                hidden = self.secret(name)
            out[name] = REDACTED if hidden else self._convert(item, depth + 1)
        return out

    def _sequence(self, value, depth: int) -> list:
        out = [self._convert(item, depth + 1) for item in value[: self.max_items]]
        if len(value) > self.max_items:
            out.append(f"... {len(value) - self.max_items} more")
        return out
