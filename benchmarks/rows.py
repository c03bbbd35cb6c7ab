"""Result rows: a measured value, its target and its verdict."""

from __future__ import annotations

from dataclasses import dataclass, field

from .stats import Summary

__all__ = ["Row", "format_number", "MEASURED", "STOPPED", "SUBSET", "UNAVAILABLE", "NOT_MEASURED", "FAILED", "INFO"]

MEASURED = "measured"
STOPPED = "stopped"
SUBSET = "subset"
UNAVAILABLE = "not available"
NOT_MEASURED = "not measured"
FAILED = "failed"
INFO = "info"

_UNITS_SCALED = {"µs", "ms", "s"}
_RATES_SCALED = {"records/s"}


@dataclass
class Row:
    """One line of the results table.

    Attributes
    ----------
    group, key : str
        The benchmark group and a stable key for comparisons between runs.
    what : str
        What was measured.
    summary : Summary or None
        The repeated measurements, in ``unit`` (None when nothing was measured).
    unit : str
        ``µs``, ``ms``, ``s``, ``MB``, ``%``, ``x`` (a ratio) or ``MB/s``.
    limit : float or None
        The target; None for informative rows.
    higher_is_better : bool
        Whether the target is a lower bound.
    status : str
        `MEASURED`; `STOPPED` (the run was stopped at this value) or `SUBSET` (measured on a
        smaller input than the target is for), both lower bounds of the real value;
        `UNAVAILABLE` (the API is missing), `NOT_MEASURED` (out of this run's limits), `FAILED`
        or `INFO`.
    note : str
        Short explanation printed under the table.
    details : dict
        Everything else worth keeping in the JSON results.
    scale : float or None
        How much slower this machine was than the reference when the row was measured.
    """

    group: str
    key: str
    what: str
    summary: Summary | None
    unit: str
    limit: float | None = None
    higher_is_better: bool = False
    status: str = MEASURED
    note: str = ""
    details: dict = field(default_factory=dict)
    scale: float | None = None

    @property
    def target(self) -> str:
        """The target as text."""
        if self.limit is None:
            return ""
        sign = "≥" if self.higher_is_better else "≤"
        return f"{sign} {self.limit:g} {self.unit}".rstrip()

    def _passes(self, value: float) -> bool:
        return value >= self.limit if self.higher_is_better else value <= self.limit

    @property
    def scaled_median(self) -> float | None:
        """The median as it would be on the reference machine (times and rates of records only)."""
        if self.summary is None or self.scale is None:
            return None
        if self.unit in _RATES_SCALED:
            return self.summary.median * self.scale
        if self.unit not in _UNITS_SCALED:
            return None
        return self.summary.median / self.scale

    @property
    def verdict(self) -> str:
        """``PASS``, ``FAIL``, ``info``, or why there is no verdict."""
        if self.status in (UNAVAILABLE, NOT_MEASURED, FAILED):
            return self.status
        if self.summary is None or self.limit is None:
            return INFO
        if self.status in (STOPPED, SUBSET):
            exceeded = not self.higher_is_better and self.summary.median > self.limit
            return "FAIL" if exceeded else "unknown"
        verdict = "PASS" if self._passes(self.summary.median) else "FAIL"
        scaled = self.scaled_median
        if scaled is not None and verdict == "FAIL" and self._passes(scaled):
            return "FAIL (PASS at ref. speed)"
        return verdict

    @property
    def measured(self) -> str:
        """The median as text (a lower bound for a stopped run)."""
        if self.summary is None:
            return "—"
        prefix = {STOPPED: "> ", SUBSET: "≥ "}.get(self.status, "")
        return f"{prefix}{format_number(self.summary.median)} {self.unit}".rstrip()

    @property
    def spread(self) -> str:
        """Minimum and maximum as text, when there were repetitions."""
        if self.summary is None or self.summary.n < 2:
            return ""
        return f"{format_number(self.summary.minimum)}–{format_number(self.summary.maximum)} (n={self.summary.n})"

    def to_dict(self) -> dict:
        """Return the row as plain data for the JSON results."""
        return {
            "group": self.group,
            "key": self.key,
            "what": self.what,
            "unit": self.unit,
            "status": self.status,
            "median": None if self.summary is None else self.summary.median,
            "summary": None if self.summary is None else self.summary.to_dict(),
            "target": self.target or None,
            "limit": self.limit,
            "higher_is_better": self.higher_is_better,
            "verdict": self.verdict,
            "scale": self.scale,
            "median_at_reference_speed": self.scaled_median,
            "note": self.note,
            "details": self.details,
        }


def format_number(value: float) -> str:
    """Return ``value`` with about three significant digits, thousands separated."""
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"
