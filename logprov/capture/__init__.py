"""The capture side: a traced call becomes provenance records written through `logging`.

`ProvCapture` (in `logprov.capture.facade`) is importable from here too; it is loaded on first
use so that importing a module of this package stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["ProvCapture"]


def __getattr__(name: str) -> Any:
    """Load `ProvCapture` from its module on first use."""
    if name == "ProvCapture":
        return importlib.import_module(".facade", __name__).ProvCapture
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
