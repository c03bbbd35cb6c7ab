"""Run a Graphviz layout program: ``dot``, or the ``graphviz-pure`` port from PyPI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig

from ..errors import LogprovError

__all__ = ["GraphvizError", "find_program", "render_dot", "PURE_FORMATS"]

PURE = "graphviz-pure"
PURE_FORMATS = frozenset({"svg", "png", "jpeg", "jpg", "dot", "xdot", "json", "plain"})
_INSTALL_HINT = "install Graphviz (https://graphviz.org/download/) or run: pip install graphviz-pure"


class GraphvizError(LogprovError, RuntimeError):
    """No Graphviz program is available, or it failed to render a graph."""


def _next_to_python(name: str) -> str | None:
    folders = [os.path.dirname(sys.executable), sysconfig.get_path("scripts")]
    for folder in folders:
        found = shutil.which(name, path=folder) if folder else None
        if found:
            return found
    return None


def find_program(program: str | None = None) -> str:
    """Return the path of the layout program to run.

    Parameters
    ----------
    program : str, optional
        A program name or path. By default: ``dot`` on the PATH, else ``graphviz-pure`` on the
        PATH or next to the running Python (a virtual environment's ``bin``).

    Raises
    ------
    GraphvizError
        If no program is found.
    """
    if program is not None:
        found = shutil.which(program) or _next_to_python(program)
        if found is None:
            raise GraphvizError(f"Graphviz program {program!r} not found; {_INSTALL_HINT}")
        return found
    found = shutil.which("dot") or shutil.which(PURE) or _next_to_python(PURE)
    if found is None:
        raise GraphvizError(f"no Graphviz program found to draw the graph; {_INSTALL_HINT}")
    return found


def render_dot(source: str, fmt: str, program: str | None = None, timeout: float = 300) -> bytes:
    """Lay out the DOT ``source`` and return the image in format ``fmt``.

    Parameters
    ----------
    source : str
        A graph in the DOT language.
    fmt : str
        Output format for ``-T`` (``svg``, ``png``, ``pdf``, …).
    program : str, optional
        Layout program, see `find_program`.
    timeout : float
        Seconds allowed for the layout.

    Raises
    ------
    GraphvizError
        If no program is found, the format is not supported, or the layout fails.
    """
    path = find_program(program)
    if os.path.basename(path).startswith(PURE) and fmt not in PURE_FORMATS:
        raise GraphvizError(
            f"graphviz-pure cannot write {fmt!r} (it writes {', '.join(sorted(PURE_FORMATS))}); "
            "install Graphviz for this format, or export svg or png"
        )
    try:
        done = subprocess.run(
            [path, f"-T{fmt}"],
            input=source.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GraphvizError(f"{path} failed: {exc}") from exc
    if done.returncode != 0 or not done.stdout:
        message = done.stderr.decode("utf-8", "replace").strip() or f"exit code {done.returncode}"
        raise GraphvizError(f"{path} -T{fmt} failed: {message}")
    return done.stdout
