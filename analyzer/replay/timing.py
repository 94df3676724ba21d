"""How long steps take: ``fast`` (as quick as the machine goes) or ``realistic``.

``realistic`` waits, per step, a duration drawn from a log-normal distribution whose median
and spread are close to those of the real devstack logs of 2016 (sample_logs/devstack_2016:
spawn about 2 s, a qemu-img command tens of milliseconds, a clean shutdown a few seconds),
so that replayed logs look like real ones in reports.  Draws are seeded: runs repeat.
"""

from __future__ import annotations

import math
import random
import threading
import time

__all__ = ["REALISTIC", "Timing"]

# step -> (median seconds, sigma of the log)
REALISTIC = {
    "command": (0.035, 0.6),
    "network": (0.4, 0.5),
    "spawn": (2.0, 0.4),
    "shutdown": (3.0, 0.5),
    "destroy": (0.3, 0.5),
}


class Timing:
    """Per-step waits; ``Timing.named("fast")`` is None (no waits at all)."""

    def __init__(self, medians: dict[str, tuple[float, float]], seed: int = 2016) -> None:
        self.medians = medians
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    @classmethod
    def named(cls, name: str) -> Timing | None:
        if name == "fast":
            return None
        if name == "realistic":
            return cls(REALISTIC)
        raise ValueError(f"unknown timing {name!r} (expected fast or realistic)")

    def wait(self, step: str, already: float) -> float:
        """Sleep so that ``step`` lasts a realistic time; returns the seconds it lasted."""
        median, sigma = self.medians.get(step, (0.0, 0.0))
        with self._lock:
            target = median * math.exp(self._random.gauss(0.0, sigma)) if median else 0.0
        if target > already:
            time.sleep(target - already)
            return target
        return already
