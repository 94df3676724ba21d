"""Duration statistics per operation type and per step, as Rally reports atomic actions,
and the `slow` deviations found against them."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from analyzer.lifecycle import deviations as dv
from analyzer.lifecycle.machine import OK, Checked, StepSeen

STAT_NAMES = ("count", "ok", "min", "median", "p90", "p95", "max")


def stats(values: list[float], ok: int | None = None) -> dict[str, float | int | None]:
    """count, ok, min, median, p90, p95, max of `values` (None where there are none)."""
    out: dict[str, float | int | None] = {"count": len(values)}
    if ok is not None:
        out["ok"] = ok
    if not values:
        out.update({"min": None, "median": None, "p90": None, "p95": None, "max": None})
        return out
    array = np.asarray(values, dtype=float)
    p50, p90, p95 = np.percentile(array, [50, 90, 95])
    out.update({"min": round(float(array.min()), 3), "median": round(float(p50), 3),
                "p90": round(float(p90), 3), "p95": round(float(p95), 3),
                "max": round(float(array.max()), 3)})
    return out


def table(checked: list[Checked]) -> dict[str, dict[str, object]]:
    """Per operation type: its stats (duration of complete operations) and its steps' stats."""
    by_type: dict[str, list[Checked]] = defaultdict(list)
    for item in checked:
        by_type[item.flow.name].append(item)
    out: dict[str, dict[str, object]] = {}
    for name in sorted(by_type):
        items = by_type[name]
        durations = [c.duration for c in items if c.duration is not None]
        entry: dict[str, object] = stats(durations, ok=sum(1 for c in items if c.status == OK))
        entry["count"] = len(items)
        entry["deviations"] = sum(len(c.deviations) for c in items)
        steps: dict[str, list[float]] = defaultdict(list)
        order: list[str] = [s.name for s in items[0].flow.steps]
        for item in items:
            for seen in item.steps:
                if seen.duration is not None:
                    steps[seen.step.name].append(seen.duration)
        entry["steps"] = {step: stats(steps[step]) for step in order if step in steps}
        out[name] = entry
    return out


def slow(checked: list[Checked], threshold: float | None) -> None:
    """Add `slow` deviations: far above the same type's other durations, or over `threshold`."""
    by_type: dict[str, list[Checked]] = defaultdict(list)
    for item in checked:
        by_type[item.flow.name].append(item)
    for items in by_type.values():
        timed = [(c, c.duration) for c in items if c.duration is not None]
        values = [d for _, d in timed]
        for (item, duration), middle in zip(timed, dv.outliers(values), strict=True):
            if middle is not None or (threshold is not None and duration > threshold):
                _judge(item, None, duration, middle, len(values) - 1, threshold, None)
        per_step: dict[str, list[tuple[Checked, StepSeen]]] = defaultdict(list)
        for item in items:
            for seen in item.steps:
                if seen.duration is not None and not seen.step.repeat:  # polling: no peer durations
                    per_step[seen.step.name].append((item, seen))
        for name, samples in per_step.items():
            values = [seen.duration for _, seen in samples]  # type: ignore[misc]
            for (item, seen), middle in zip(samples, dv.outliers(values), strict=True):  # type: ignore[arg-type]
                if middle is not None or (threshold is not None and seen.duration > threshold):  # type: ignore[operator]
                    _judge(item, name, seen.duration, middle, len(values) - 1, threshold, seen)  # type: ignore[arg-type]


def _judge(item: Checked, step: str | None, duration: float, middle: float | None, peers: int,
           threshold: float | None, seen: StepSeen | None) -> None:
    what = f"step '{step}'" if step else item.flow.name
    evidence = [seen.record] if seen is not None else (
        [item.steps[0].record, item.steps[-1].record] if item.steps else [])
    if threshold is not None and duration > threshold:
        item.deviations.append(dv.Deviation(
            dv.SLOW, f"{what} took {duration:.2f}s, over --slow {threshold:g}s", evidence, step))
    elif middle is not None:
        item.deviations.append(dv.Deviation(
            dv.SLOW, f"{what} took {duration:.2f}s; the other {peers} in this log took "
            f"{middle:.2f}s (median)", evidence, step))
