"""The build backend of logprov: setuptools', asking for mypyc when a compiled build is wanted.

``LOGPROV_COMPILE=1 pip install .`` builds a wheel whose streamed-export modules are compiled
by mypyc (see ``setup.py``); mypyc comes with mypy, which the build then needs. An editable
install keeps the Python sources only: compiled modules would shadow sources edited later.
"""

import os
from typing import Any, Dict, List, Optional

from setuptools import build_meta
from setuptools.build_meta import *  # noqa: F401,F403  (the backend's other hooks)

#: What a compiled build needs besides setuptools.
COMPILER = ["mypy>=1.8"]


def _compiling() -> bool:
    return os.environ.get("LOGPROV_COMPILE") == "1"


def get_requires_for_build_wheel(config_settings: Optional[Dict[str, Any]] = None) -> List[str]:
    """Return setuptools' requirements, and mypy when ``LOGPROV_COMPILE=1``.

    setuptools runs ``setup.py`` to find its own requirements, before mypy is there: the
    compiled build is asked for only once the wheel is built.
    """
    if not _compiling():
        return list(build_meta.get_requires_for_build_wheel(config_settings))
    del os.environ["LOGPROV_COMPILE"]
    try:
        return [*build_meta.get_requires_for_build_wheel(config_settings), *COMPILER]
    finally:
        os.environ["LOGPROV_COMPILE"] = "1"


def get_requires_for_build_editable(config_settings: Optional[Dict[str, Any]] = None) -> List[str]:
    """Refuse a compiled editable install, which would run stale modules after an edit."""
    if _compiling():
        raise RuntimeError(
            "LOGPROV_COMPILE=1 compiles a wheel, not an editable install: "
            "use 'LOGPROV_COMPILE=1 pip install .' (without -e)"
        )
    return list(build_meta.get_requires_for_build_editable(config_settings))
