"""Provenance written by ctapipe Tools and cta-lstchain, read next to logprov's own."""

from .records import (
    SESSION_NAMESPACE,
    UNKNOWN_AGENT,
    CtapipeRecords,
    activity_records,
    looks_like_log,
    split_arrays,
)

__all__ = ["SESSION_NAMESPACE", "UNKNOWN_AGENT", "CtapipeRecords", "activity_records", "looks_like_log",
           "split_arrays"]
