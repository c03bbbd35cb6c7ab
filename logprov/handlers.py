"""Logging handler and logger set-up used when the application does not configure logging."""

from __future__ import annotations

import logging
import logging.config
import os
import warnings
from typing import Mapping

__all__ = ["ProvFileHandler", "ProvMemoryHandler", "ProvBufferFullWarning", "MEMORY_RECORDS", "setup_logger"]

#: Records a `ProvMemoryHandler` keeps by default.
MEMORY_RECORDS = 100_000


class _MessageHandler(logging.Handler):
    """A handler that formats each logging call and hands the text to `write_message`.

    Without a formatter set, a record is formatted as ``LEVEL logger message`` (the same as the
    format ``"%(levelname)s %(name)s %(message)s"``, without the cost of a `logging.Formatter`).
    """

    def format(self, record: logging.LogRecord) -> str:
        """Format ``record``; without a formatter of its own, as ``LEVEL logger message``."""
        if self.formatter is None:
            return f"{record.levelname} {record.name} {record.getMessage()}"
        return self.formatter.format(record)

    def emit(self, record: logging.LogRecord) -> None:
        """Format ``record`` and pass it to `write_message`."""
        try:
            self.write_message(self.format(record))
        except Exception:
            self.handleError(record)

    def write_message(self, text: str) -> None:
        """Take ``text``, an already formatted message."""
        raise NotImplementedError


class ProvFileHandler(_MessageHandler):
    """Append each formatted logging call to a file with a single ``write``.

    The file is opened with ``O_APPEND`` and every message is written by one system call, so
    several processes can share one log without splitting each other's lines, and a record is
    in the file as soon as the logging call returns (nothing waits in a buffer if the process
    is killed). A log left ending in the middle of a line is continued on a new line.

    Without a formatter set, a record is written as ``LEVEL logger message`` (the same as the
    format ``"%(levelname)s %(name)s %(message)s"``, without the cost of a `logging.Formatter`).

    Parameters
    ----------
    filename : str or os.PathLike
        The log file; created when missing, appended to otherwise.
    encoding : str
        Text encoding of the log.
    """

    def __init__(self, filename: str | os.PathLike, encoding: str = "utf-8") -> None:
        super().__init__()
        self.baseFilename = os.path.abspath(os.fspath(filename))
        self.encoding = encoding
        self._fd: int | None = None

    def _open(self) -> int:
        directory = os.path.dirname(self.baseFilename)
        if directory:
            os.makedirs(directory, exist_ok=True)
        self._fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        if not _ends_with_newline(self.baseFilename):
            os.write(self._fd, b"\n")
        return self._fd

    def write_message(self, text: str) -> None:
        """Append ``text`` (an already formatted message) as `emit` would, holding the handler's
        lock like `logging.Handler.handle`.

        Raises
        ------
        OSError
            When the file cannot be opened or written.
        """
        data = (text + "\n").encode(self.encoding, "backslashreplace")
        with self.lock:
            fd = self._fd if self._fd is not None else self._open()
            written = os.write(fd, data)
            if written < len(data):
                view = memoryview(data)[written:]
                while view:
                    view = view[os.write(fd, view):]

    def close(self) -> None:
        """Close the file."""
        self.acquire()
        try:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
        finally:
            self.release()
            super().close()


class ProvMemoryHandler(_MessageHandler):
    """Keep each formatted logging call in memory, up to a number of records.

    Used when ``log_filename`` is None (notebooks, tests): the provenance lines stay in the
    process, for `logprov.ProvCapture.records` and `logprov.ProvCapture.document`. Each line
    holding a ``_PROV_`` record counts as one record. Once ``capacity`` records are kept, later
    messages are dropped, the first ones kept (so that the session record and the earliest
    activities stay whole), and one `ProvBufferFullWarning` is issued; `clear` empties the
    buffer and allows one more warning.

    Parameters
    ----------
    capacity : int
        Largest number of records kept.
    """

    def __init__(self, capacity: int = MEMORY_RECORDS) -> None:
        super().__init__()
        self.capacity = capacity
        self.messages: list[str] = []
        self.records = 0
        self.dropped = 0

    def write_message(self, text: str) -> None:
        """Keep ``text`` (an already formatted message), or drop it when the buffer is full."""
        count = text.count("\n") + 1
        with self.lock:
            if self.records + count <= self.capacity:
                self.messages.append(text)
                self.records += count
                return
            self.dropped += count
            first = self.dropped == count
        if first:
            warnings.warn(
                f"logprov: the in-memory provenance buffer is full ({self.capacity:,} records); later "
                "records are dropped (set log_filename to write to a file, or clear the buffer)",
                ProvBufferFullWarning, stacklevel=2,
            )

    def lines(self) -> list[str]:
        """Return a copy of the messages kept, in the order they were logged."""
        with self.lock:
            return list(self.messages)

    def clear(self) -> None:
        """Forget the messages kept (and how many were dropped)."""
        with self.lock:
            self.messages = []
            self.records = 0
            self.dropped = 0


class ProvBufferFullWarning(UserWarning):
    """A `ProvMemoryHandler` is full: records logged from now on are dropped."""


def _ends_with_newline(path: str) -> bool:
    """Return True for an empty file or one whose last byte ends a line (a killed writer may
    have left half a line)."""
    try:
        with open(path, "rb") as stream:
            stream.seek(0, os.SEEK_END)
            if stream.tell() == 0:
                return True
            stream.seek(-1, os.SEEK_END)
            return stream.read(1) == b"\n"
    except OSError:
        return True


def setup_logger(
    name: str, log_filename: str | os.PathLike | None, dict_config: Mapping | None = None
) -> logging.Logger:
    """Return the provenance logger, configuring it when the application has not.

    Parameters
    ----------
    name : str
        Logger name.
    log_filename : str, os.PathLike or None
        File for the default handler; None keeps the records in memory (`ProvMemoryHandler`).
    dict_config : mapping, optional
        A :func:`logging.config.dictConfig` configuration, applied as given except that
        ``disable_existing_loggers`` defaults to False (like any ``dictConfig`` call, it replaces
        the handlers configured before).

    Returns
    -------
    logging.Logger
        The logger. Without ``dict_config`` and with no handler of its own yet, it gets a
        `ProvFileHandler` on ``log_filename`` (a `ProvMemoryHandler` when it is None), level INFO, and does not propagate (so records do
        not reach the console through the root logger).
    """
    if dict_config is not None:
        settings = dict(dict_config)
        settings.setdefault("disable_existing_loggers", False)
        logging.config.dictConfig(settings)
        return logging.getLogger(name)
    logger = logging.getLogger(name)
    if log_filename is None:
        if not logger.handlers:
            logger.addHandler(ProvMemoryHandler())
            logger.propagate = False
            if logger.level == logging.NOTSET or logger.level > logging.INFO:
                logger.setLevel(logging.INFO)
        return logger
    wanted = os.path.abspath(os.fspath(log_filename))
    ours = [h for h in logger.handlers if isinstance(h, ProvFileHandler)]
    if ours and all(h.baseFilename != wanted for h in ours):
        warnings.warn(
            f"logger {name!r} already writes to {ours[0].baseFilename}; log_filename {wanted} is not "
            "used (give each capture its own logger_name to write to another file)",
            stacklevel=3,
        )
    if not logger.handlers:
        logger.addHandler(ProvFileHandler(log_filename))
        logger.propagate = False
        if logger.level == logging.NOTSET or logger.level > logging.INFO:
            logger.setLevel(logging.INFO)
    return logger
