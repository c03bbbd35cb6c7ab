"""What the one-pass writers of every format share: the `StatementSink` side of an export.

A one-pass export (`logprov.export.onepass`) hands the statements of a
`logprov.model.recordstream.RecordStream` to a writer of its format. `StatementWriter` holds
what each writer needs alike: where the document goes and its namespaces, the blank node
numbers, the lines written since the last flush and the memo of the text of times.
`SpooledWriter` adds the temporary file in which the statements wait until the document is put
together (PROV-N and PROV-XML write the prefixes first, and learn them last).
"""

from __future__ import annotations

import datetime
import itertools
import os
from typing import Callable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from prov.identifier import Namespace

from ..model.mapping import Pair
from .destinations import BinaryOutput
from .memos import IdentityMemo
from .spoolfiles import Spool
from .templates import Fill
from .timetexts import TimeTexts

__all__ = ["Time", "StatementWriter", "SpooledWriter"]

Time = Union[datetime.datetime, str, None]
"""The start or end of an activity: a datetime, or the text `StatementWriter.moment` gave."""


class StatementWriter:
    """The base of the writers of a one-pass export.

    Parameters
    ----------
    time_format : callable
        The text of a datetime in the format (as ``fill`` takes it).
    flush_every : int
        Lines buffered before `flush` is called by `add_line`.
    time_limit : int
        Datetimes (and attribute tuples) whose text is remembered.
    """

    time_text = "%s"

    def __init__(
        self, time_format: Callable[[datetime.datetime], str], *, flush_every: int = 8192, time_limit: int = 4096
    ) -> None:
        self.blank: Iterator[int] = itertools.count(1)
        self.lines: List[str] = []
        self.flush_every = flush_every
        self._times = TimeTexts(time_format, time_limit)
        self._attribute_texts: IdentityMemo[str] = IdentityMemo(self.encode_attributes, time_limit)
        self._output: Optional[BinaryOutput] = None
        self._namespaces: Mapping[str, Namespace] = {}

    def start(self, output: BinaryOutput, namespaces: Mapping[str, Namespace]) -> None:
        """Set where the document goes and the namespaces its prefixes come from."""
        self._output = output
        self._namespaces = namespaces

    @property
    def output(self) -> BinaryOutput:
        """Where the document goes (set by `start`)."""
        if self._output is None:
            raise RuntimeError("start() was not called")
        return self._output

    def term(self, name: str) -> str:
        """Return the identifier ``name`` (``prefix:local`` text) as it is written: unchanged."""
        return name

    def moment(self, time: datetime.datetime) -> str:
        """Return a time as it is written."""
        found = self._times.seen.get(id(time))
        if found is not None and found[0] is time:
            return found[1]
        return self._times(time)

    def encode_attributes(self, attributes: Sequence[Pair]) -> str:
        """Return the text of the attributes of a statement in the format (a subclass that
        writes attributes as text gives it)."""
        raise NotImplementedError

    def attributes_text(self, attributes: Sequence[Pair]) -> str:
        """Return `encode_attributes` of ``attributes``, remembered for the recurring tuples."""
        if type(attributes) is not tuple:
            return self.encode_attributes(attributes)
        found = self._attribute_texts.seen.get(id(attributes))
        if found is not None and found[0] is attributes:
            return found[1]
        return self._attribute_texts(attributes)

    def time_of(self, value: Time) -> str:
        """Return the text of the start or end of an activity given to `element`."""
        return value if type(value) is str else self.moment(value)  # type: ignore[arg-type]

    def add_line(self, line: str) -> None:
        """Buffer ``line``, flushing the buffer every ``flush_every`` lines."""
        lines = self.lines
        lines.append(line)
        if len(lines) >= self.flush_every:
            self.flush()

    def element(self, kind: str, name: str, attributes: Sequence[Pair], start: Time = None, end: Time = None) -> None:
        """Write an entity, activity or agent (times as datetimes or as `moment` gives them)."""
        raise NotImplementedError

    def template(self, kind: str, timed: bool, attributes: Sequence[Pair]) -> Tuple[List[str], Fill]:
        """Return where a relation goes and the function writing it.

        The function is ``fill(subject, target, time, blank)``, of the subject and the target
        as given by `term`, the time as given by `moment` and a blank node number.
        """
        raise NotImplementedError

    def flush(self) -> None:
        """Move the lines written so far towards the output."""
        raise NotImplementedError

    def finish(self) -> None:
        """Write the document."""
        raise NotImplementedError

    def close(self) -> None:
        """Drop what is buffered and remove the temporary files."""
        self.lines.clear()


class SpooledWriter(StatementWriter):
    """A `StatementWriter` whose statements wait in one temporary file until `finish`.

    Parameters
    ----------
    folder : str
        Where the temporary file is made.
    name : str
        Its name.
    errors : str
        How characters UTF-8 cannot hold are encoded (see `str.encode`).
    time_format, flush_every
        As for `StatementWriter`.
    """

    def __init__(
        self,
        folder: str,
        name: str,
        time_format: Callable[[datetime.datetime], str],
        *,
        errors: str = "strict",
        flush_every: int = 8192,
    ) -> None:
        super().__init__(time_format, flush_every=flush_every)
        self.spool = Spool(os.path.join(folder, name))
        self._errors = errors

    def flush(self) -> None:
        """Move the lines written so far to the temporary file."""
        lines = self.lines
        self.spool.parts.append("".join(lines).encode("utf-8", self._errors))
        self.spool.flush()
        lines.clear()

    def write_document(self, head: bytes, tail: bytes) -> None:
        """Write ``head``, the statements and ``tail`` to the output."""
        output = self.output
        output.write(head)
        self.flush()
        self.spool.copy_to(output)
        output.write(tail)

    def close(self) -> None:
        """Drop what is buffered and remove the temporary file."""
        super().close()
        self.spool.close()
