"""Logging handler and logger set-up used when the application does not configure logging."""

from __future__ import annotations

import logging
import logging.config
import os
import threading
import warnings
from collections import deque
from typing import Mapping

__all__ = ["ProvFileHandler", "ProvMemoryHandler", "StoreHandler", "ProvBufferFullWarning", "StoreFallbackWarning",
           "MEMORY_RECORDS", "setup_logger", "log_files"]

#: Records a `ProvMemoryHandler` keeps by default.
MEMORY_RECORDS = 100_000


class _MessageHandler(logging.Handler):
    """A handler that formats each logging call and hands the text to `write_message`.

    Without a formatter set, a record is formatted as ``LEVEL logger message`` (the same as the
    format ``"%(levelname)s %(name)s %(message)s"``, without the cost of a `logging.Formatter`).
    """

    #: The handler's lock (`logging.Handler.createLock` makes it in ``__init__``).
    lock: threading.RLock

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


class StoreHandler(_MessageHandler):
    """Ship each formatted logging call to a provenance store, from a background thread.

    `emit` only appends the message to a queue, so a traced call never waits for the store;
    a thread writes what is queued every ``interval`` seconds (or as soon as ``batch``
    messages wait), each batch in one transaction (see `logprov.store.shipping`). When the
    store cannot be reached or written, that batch and every later message go to the log file
    ``fallback`` instead, and one `StoreFallbackWarning` says so: ``logprov load FALLBACK
    --store URL`` brings them in later. `flush` waits until everything queued is written;
    `close` does too, then stops the thread.

    Parameters
    ----------
    url : str
        The store: a ``postgresql://`` URL, ``sqlite:///path`` or a file path.
    fallback : str or os.PathLike
        The log file used when the store is unreachable.
    batch : int
        Messages written in one transaction at most.
    interval : float
        Seconds between writes.
    """

    def __init__(self, url: str, fallback: str | os.PathLike = "prov.log", batch: int = 5000,
                 interval: float = 0.5) -> None:
        super().__init__()
        self.url = url
        self.fallback = os.path.abspath(os.fspath(fallback))
        self.batch = batch
        self.interval = interval
        self._queue: deque[str] = deque()
        self._wake = threading.Event()
        self._idle = threading.Condition()
        self._busy = 0
        self._closing = False
        self._thread: threading.Thread | None = None
        self._file: ProvFileHandler | None = None
        self._start_lock = threading.Lock()

    def write_message(self, text: str) -> None:
        """Queue ``text`` (an already formatted message) for the background thread."""
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="logprov-store", daemon=True)
                    self._thread.start()
        self._queue.append(text)
        if len(self._queue) >= self.batch:
            self._wake.set()

    def _run(self) -> None:
        from .store.shipping import Shipper

        shipper = Shipper(self.url)
        try:
            while True:
                self._wake.wait(self.interval)
                self._wake.clear()
                while self._queue:
                    with self._idle:
                        self._busy += 1
                    lines = [self._queue.popleft() for _ in range(min(self.batch, len(self._queue)))]
                    try:
                        self._write(shipper, lines)
                    finally:
                        with self._idle:
                            self._busy -= 1
                with self._idle:
                    self._idle.notify_all()
                if self._closing and not self._queue:
                    return
        finally:
            shipper.close()

    def _write(self, shipper: object, lines: list[str]) -> None:
        if self._file is None:
            try:
                shipper.ship(lines)  # type: ignore[attr-defined]
                return
            except Exception as exc:
                from .store.location import redact

                self._file = ProvFileHandler(self.fallback)
                warnings.warn(f"logprov: the provenance store {redact(self.url)} cannot be written "
                              f"({type(exc).__name__}: {redact(str(exc).splitlines()[0] if str(exc) else '')}); "
                              f"records go to {self.fallback} from now on", StoreFallbackWarning, stacklevel=2)
        for line in lines:
            self._file.write_message(line)

    def flush(self, timeout: float = 60.0) -> None:
        """Wait (at most ``timeout`` seconds) until every queued message is written."""
        thread = self._thread
        if thread is None:
            return
        self._wake.set()
        with self._idle:
            self._idle.wait_for(lambda: not self._queue and not self._busy or not thread.is_alive(), timeout)

    def close(self) -> None:
        """Write what is queued, stop the thread and close the fallback file."""
        if self._thread is not None:
            self._closing = True
            self._wake.set()
            self._thread.join(60)
        if self._file is not None:
            self._file.close()
        super().close()


class StoreFallbackWarning(UserWarning):
    """A `StoreHandler` cannot write its store: records go to its fallback log file."""


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


def log_files(logger: logging.Logger) -> list[str]:
    """Return the files ``logger`` writes to: those of its file handlers (`ProvFileHandler`,
    `logging.FileHandler` and their kind)."""
    files = []
    for handler in logger.handlers:
        name = getattr(handler, "baseFilename", None)
        if isinstance(name, str):
            files.append(name)
    return files
