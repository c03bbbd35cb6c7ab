"""Send each record to the handlers of its parts: session, activity, entity."""

from __future__ import annotations

from typing import Any, Iterable, TypeVar, Union

from ..reading.reader import ProvRecord, RecordNormalizer
from ..records import keys as K
from .literals import Record

__all__ = ["RecordDispatcher"]

D = TypeVar("D", bound="RecordDispatcher")


class RecordDispatcher:
    """Base of `DocumentBuilder`, the consumer of records that builds a `prov.model` document.

    Subclasses set ``normalizer`` and implement ``_session(data)``,
    ``_activity(data, session)``, ``_entity(data, session)`` and ``_note(data, session)``.
    """

    normalizer: RecordNormalizer

    def add(self, record: Union[ProvRecord, Record]) -> None:
        """Take one record into account.

        Parameters
        ----------
        record : ProvRecord or dict
            A record from `iter_records` (already normalised) or a payload dict, current or
            0.0.2 shape (normalised here, without modifying it).
        """
        self.add_all((record,))

    def add_all(self: D, records: Iterable[Union[ProvRecord, Record]]) -> D:
        """Take every record of ``records`` into account and return ``self``."""
        on_session, on_activity, on_entity, on_note = self._session, self._activity, self._entity, self._note
        normalize = self.normalizer.normalize
        for record in records:
            if isinstance(record, ProvRecord):
                data, session = record.data, record.session
            else:
                data = dict(record)
                session = normalize(data)
            if K.SESSION_ID in data:
                on_session(data)
            if K.ACTIVITY_ID in data:
                on_activity(data, session)
            if K.ENTITY_ID in data:
                on_entity(data, session)
            if K.NOTE_ID in data:
                on_note(data, session)
        return self

    def _session(self, data: Record) -> None:
        raise NotImplementedError

    def _activity(self, data: Record, session: Any) -> None:
        raise NotImplementedError

    def _entity(self, data: Record, session: Any) -> None:
        raise NotImplementedError

    def _note(self, data: Record, session: Any) -> None:
        raise NotImplementedError
