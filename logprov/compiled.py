"""The modules of the optional compiled build, and which of them this installation runs compiled.

``LOGPROV_COMPILE=1 pip install .`` compiles the modules of `COMPILED_MODULES` with mypyc (see
docs/performance.md, "A compiled build"): the path from log lines to streamed PROV statements
and the reader under the queries. Their Python sources are installed beside them and stay
the reference that the tests compare the compiled modules with: ``LOGPROV_PURE_PYTHON=1`` in the
environment makes ``import logprov`` run them instead (`use_sources`), for instance to tell
whether a problem comes from the compiled build. A plain install compiles nothing and needs no
compiler.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType
from typing import List, Optional, Sequence, Tuple

__all__ = ["COMPILED_MODULES", "compiled_modules", "build_name", "use_sources"]

#: Modules compiled together by mypyc, in one extension: classes of one may subclass those of
#: another, which mypyc allows only within the compiled set.
COMPILED_MODULES: Tuple[str, ...] = (
    "logprov.records.kinds",
    "logprov.records.legacy",
    "logprov.records.lines",
    "logprov.reading.reader",
    "logprov.model.entitytables",
    "logprov.model.identifiers",
    "logprov.model.literals",
    "logprov.model.mapping",
    "logprov.model.recordstream",
    "logprov.model.sessiontable",
    "logprov.model.shapes",
    "logprov.model.statementemitter",
    "logprov.model.statementsink",
    "logprov.model.streammapping",
    "logprov.model.streamstate",
    "logprov.export.jsonwriter",
    "logprov.export.memos",
    "logprov.export.ntwriter",
    "logprov.export.provnwriter",
    "logprov.export.statementwriter",
    "logprov.export.templates",
    "logprov.export.texts",
    "logprov.export.timetexts",
    "logprov.export.ttlwriter",
    "logprov.export.xmlwriter",
)


def compiled_modules() -> List[str]:
    """Return the modules of `COMPILED_MODULES` that this installation imports compiled.

    Returns
    -------
    list of str
        Module names, in the order of `COMPILED_MODULES`; empty for a pure-Python install.
    """
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    found = []
    for name in COMPILED_MODULES:
        spec = importlib.util.find_spec(name)
        if spec is not None and str(spec.origin).endswith(suffixes):
            found.append(name)
    return found


def build_name() -> str:
    """Return ``"compiled"`` when the modules of `COMPILED_MODULES` are compiled, else ``"python"``."""
    return "compiled" if compiled_modules() else "python"


class _SourceFinder(importlib.abc.MetaPathFinder):
    """Find the Python source of a module of `COMPILED_MODULES` installed beside its extension."""

    def find_spec(
        self, fullname: str, path: Optional[Sequence[str]], target: Optional[ModuleType] = None
    ) -> Optional[ModuleSpec]:
        if fullname not in COMPILED_MODULES:
            return None
        found = importlib.machinery.PathFinder.find_spec(fullname, path)
        if found is None or found.origin is None:
            return None
        source = Path(found.origin).with_name(fullname.rpartition(".")[2] + ".py")
        if not source.is_file():
            return None
        return importlib.util.spec_from_file_location(fullname, source)


def use_sources() -> None:
    """Import the modules of `COMPILED_MODULES` from their Python sources from now on.

    Raises
    ------
    RuntimeError
        When one of them was already imported.
    """
    early = [name for name in COMPILED_MODULES if name in sys.modules]
    if early:
        raise RuntimeError(f"already imported, cannot run from sources: {', '.join(early)}")
    if not any(isinstance(finder, _SourceFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _SourceFinder())
