"""Deviation kinds, and the `slow` check that needs all operations of a type at once."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from analyzer.lifecycle.records import Record

MISSING_STEP = "missing_step"
UNEXPECTED_STEP = "unexpected_step"
OUT_OF_ORDER = "out_of_order"
ERROR = "error"
ILLEGAL_STATE = "illegal_state"
INCOMPLETE = "incomplete"
SLOW = "slow"

KINDS = (MISSING_STEP, UNEXPECTED_STEP, OUT_OF_ORDER, ERROR, ILLEGAL_STATE, INCOMPLETE, SLOW)
"""Every kind, in the order reports list them."""

# A duration is slow against its peers when it is more than SLOW_FACTOR times their median
# and at least SLOW_MARGIN seconds over it, among at least SLOW_PEERS other samples.
SLOW_FACTOR = 3.0
SLOW_MARGIN = 2.0
SLOW_PEERS = 3


@dataclass(slots=True)
class Deviation:
    kind: str
    detail: str
    evidence: list[Record] = field(default_factory=list)  # the lines that prove it
    step: str | None = None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"kind": self.kind, "detail": self.detail,
                                  "evidence": [record.evidence() for record in self.evidence]}
        if self.step is not None:
            out["step"] = self.step
        return out


def outliers(values: list[float]) -> list[float | None]:
    """For each value: the median of the others when the value is far above it, else None.

    Sorting once makes each leave-one-out median a lookup, so this is O(n log n).
    """
    count = len(values)
    out: list[float | None] = [None] * count
    if count - 1 < SLOW_PEERS:
        return out
    array = np.asarray(values, dtype=float)
    ordered = np.sort(array)
    # Leaving one value out keeps the median at or above this neighbour of the middle, so
    # only values above `floor` can be outliers; the others need no leave-one-out median.
    low = float(ordered[max(0, count // 2 - 1)])
    floor = max(SLOW_FACTOR * low, low + SLOW_MARGIN)
    for position in np.flatnonzero(array > floor).tolist():
        value = values[position]
        middle = _median_without(ordered, value)
        if value > SLOW_FACTOR * middle and value - middle >= SLOW_MARGIN:
            out[position] = middle
    return out


def _median_without(ordered: np.ndarray, value: float) -> float:
    """Median of `ordered` (sorted) with one occurrence of `value` left out."""
    position = int(np.searchsorted(ordered, value, side="left"))
    size = len(ordered) - 1

    def at(k: int) -> float:  # k-th element of the list without `position`
        return float(ordered[k] if k < position else ordered[k + 1])

    if size % 2:
        return at(size // 2)
    return (at(size // 2 - 1) + at(size // 2)) / 2
