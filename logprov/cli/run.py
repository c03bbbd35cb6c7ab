"""`main`: run the ``logprov`` command, turning failures into one-line errors and exit statuses."""

from __future__ import annotations

import sqlite3
import sys
import warnings
from typing import Optional, Sequence

from ..errors import LogprovError
from ..outputs import refuse_inputs, release_stdout, stdout_failure
from ..query import NotFound
from .console import ERROR, NOT_FOUND, OUTPUT_CLOSED, error, show_warning
from .parser import build_parser

__all__ = ["main"]


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the ``logprov`` command with ``argv`` (default: the process arguments).

    Returns
    -------
    int
        0 when something was found, 1 when nothing was found, 2 for a usage or input error,
        141 (as a process ended by ``SIGPIPE``) when standard output was closed before the
        command had written it all, as ``logprov search ... | head`` does: then quietly.
    """
    try:
        return _run(argv)
    except BrokenPipeError:
        release_stdout()
        return OUTPUT_CLOSED


def _run(argv: Optional[Sequence[str]]) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else ERROR
    if args.command is None:
        error("choose a command; logprov --help lists them")
        return ERROR
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = show_warning
        try:
            refuse_inputs(getattr(args, "output", None), getattr(args, "logs", ()))
            status: int = args.run(args)
            sys.stdout.flush()
            return status
        except NotFound as exc:
            error(exc)
            return NOT_FOUND
        except BrokenPipeError:
            raise
        except (LogprovError, ValueError, OSError, sqlite3.Error) as exc:
            failure = stdout_failure(exc) if isinstance(exc, OSError) else None
            if failure is not None:
                release_stdout()
            error(failure or exc)
            return ERROR
        except ImportError as exc:
            error(f"{exc}; install logprov with its export extra (in its checkout: pip install '.[export]')")
            return ERROR
        except KeyboardInterrupt:
            return 130
