"""Problems inside the capture, reported once each, secrets hidden: on its logger and as a `CaptureWarning`."""

from __future__ import annotations

import os
import sys
import warnings
from typing import Hashable

from .secrecy import SecrecyPolicy
from .writer import RecordWriter

__all__ = ["CaptureWarning", "Problems"]

#: Problems remembered as reported, at most; past it, a problem may be reported again.
_REMEMBERED = 10_000

#: The folder of the logprov package: frames of files inside it are not the user's code.
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


class CaptureWarning(UserWarning):
    """The capture could not log something (a missing input file, an unhashable object ...).

    The same message, secrets hidden, is written on the provenance logger. The traced call
    goes on: this warning is never raised, also where a warnings filter turns it into an error.
    """


class Problems:
    """Report what the capture could not log, without ever raising into the user's code.

    Parameters
    ----------
    writer : RecordWriter
        Writes the warnings on the capture's logger.
    secret : SecrecyPolicy
        Hides secrets in the messages.
    """

    def __init__(self, writer: RecordWriter, secret: SecrecyPolicy) -> None:
        self.writer = writer
        self.secret = secret
        self._reported: set[Hashable] = set()

    def warn_once(self, key: Hashable, message: str) -> None:
        """Report ``message`` unless a problem of the same ``key`` was reported.

        It is written as a warning on the capture's logger and issued as a `CaptureWarning`
        attributed to the first caller outside logprov.
        """
        if key in self._reported:
            return
        if len(self._reported) < _REMEMBERED:
            self._reported.add(key)
        try:
            text = self.secret.redact_text(message)
        except Exception:
            return
        try:
            self.writer.warn(text)
        except Exception:
            pass
        try:
            warnings.warn(text, CaptureWarning, stacklevel=_user_level())
        except Exception:
            pass

    def internal_error(self, name: str | None, exc: Exception) -> None:
        """Report an unexpected error of the capture while it logged ``name``."""
        self.warn_once(("internal", name, type(exc)),
                       f"provenance of {name!r} incomplete: internal error {type(exc).__name__}: {exc}")


def _user_level() -> int:
    """The ``stacklevel`` of the first frame outside logprov, for a warning issued by `Problems.warn_once`."""
    frame = sys._getframe(2)
    level = 2
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
        level += 1
    return level
