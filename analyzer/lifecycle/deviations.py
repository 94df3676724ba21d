"""Deviation kinds, and the `slow` check that needs all operations of a type at once."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

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


@dataclass
class Deviation:
    kind: str
    detail: str
    evidence: list[dict[str, object]] = field(default_factory=list)
    step: str | None = None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"kind": self.kind, "detail": self.detail, "evidence": self.evidence}
        if self.step is not None:
            out["step"] = self.step
        return out


def outlier(value: float, peers: list[float]) -> float | None:
    """The peers' median when `value` is far above it (see SLOW_*), else None."""
    if len(peers) < SLOW_PEERS:
        return None
    middle = statistics.median(peers)
    if value > SLOW_FACTOR * middle and value - middle >= SLOW_MARGIN:
        return middle
    return None
