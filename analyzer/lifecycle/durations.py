"""Duration statistics per operation type and per step, as Rally reports atomic actions,
and the `slow` deviations found against them."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from itertools import chain, compress
from operator import attrgetter, itemgetter

import numpy as np

from analyzer.lifecycle import deviations as dv
from analyzer.lifecycle.machine import OK, Checked
from analyzer.lifecycle.records import Record
from analyzer.lifecycle.verdicts import Verdict

STAT_NAMES = ("count", "ok", "min", "median", "p90", "p95", "max")
_RECORDS = attrgetter("operation.records")
_TIME = attrgetter("t")
_START = attrgetter("operation.start")
_NO_TIME = float("-inf")  # a line without a time (records.Record.t)


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


@dataclass
class StepSamples:
    """One step's durations within an operation type."""

    durations: list[float] = field(default_factory=list)  # every one, for the statistics
    # those judged for `slow`: the operation, the position of the step among its steps, the duration
    peers: list[Checked] = field(default_factory=list)
    peer_positions: list[int] = field(default_factory=list)
    peer_durations: list[float] = field(default_factory=list)


@dataclass
class Samples:
    """The checked operations of one type with their durations, gathered in one pass."""

    items: list[Checked] = field(default_factory=list)
    timed: list[tuple[Checked, float]] = field(default_factory=list)  # complete operations
    steps: dict[str, StepSamples] = field(default_factory=dict)  # by step name, in order first seen


def samples(checked: list[Checked]) -> dict[str, Samples]:
    """Per operation type (flow name), its operations and the durations of them and their steps.

    Operations that took the same verdict (verdicts.Verdict) have the same steps: their
    durations and their steps' are worked out together, from a table of their steps'
    times.  (`timed` then lists them verdict by verdict: neither the statistics nor `slow`
    depend on its order.)
    """
    by_type: dict[str, Samples] = {}
    alike: dict[int, tuple[Samples, Verdict, list[Checked]]] = {}  # by id of the verdict
    for item in checked:
        found = by_type.get(item.flow.name)
        if found is None:
            found = by_type[item.flow.name] = Samples()
        found.items.append(item)
        steps = found.steps
        verdict = item.verdict
        if verdict is None:
            duration = item.duration
            if duration is not None:
                found.timed.append((item, duration))
        else:
            group = alike.get(id(verdict))
            if group is None:
                group = alike[id(verdict)] = (found, verdict, [])
                for step in verdict.steps[1:]:  # every step after the first has a duration
                    if step.name not in steps:
                        steps[step.name] = StepSamples()
            group[2].append(item)
            continue
        for position, seen in enumerate(item.steps):
            took = seen.duration
            if took is None:
                continue
            step = seen.step
            known = steps.get(step.name)
            if known is None:
                known = steps[step.name] = StepSamples()
            known.durations.append(took)
            if not step.repeat:  # a polling step has no peers to be slow against
                known.peers.append(item)
                known.peer_positions.append(position)
                known.peer_durations.append(took)
    for found, verdict, items in alike.values():
        _add_alike(found, verdict, items)
    return by_type


def _add_alike(found: Samples, verdict: Verdict, items: list[Checked]) -> None:
    """The durations of `items`, which all took `verdict`, and of their steps."""
    count = len(verdict.step_lines)
    if not count:
        return  # no step seen: no duration
    lines = map(itemgetter(*verdict.step_lines), map(_RECORDS, items))  # each item's step lines
    if count == 1:
        lines = map(_alone, lines)  # itemgetter of one position gives the line, not a tuple
    times = np.fromiter(map(_TIME, chain.from_iterable(lines)), dtype=float, count=len(items) * count)
    times = times.reshape(len(items), count)
    # as Checked.duration: its last step line's time less its start, when complete and timed
    ends = times[:, -1]
    timed = (ends != _NO_TIME) & np.fromiter(map(_finished, items), dtype=bool, count=len(items))
    starts = np.fromiter(map(_START, items), dtype=float, count=len(items))
    found.timed += zip(compress(items, timed.tolist()), (ends - starts)[timed].tolist(), strict=True)
    if count < 2:
        return
    with np.errstate(invalid="ignore"):  # lines without a time (-inf) give nan, as in StepSeen
        took = times[:, 1:] - times[:, :-1]  # this line's time less the one before it
    for position in range(1, count):
        step = verdict.steps[position]
        known = found.steps[step.name]
        column = took[:, position - 1].tolist()
        known.durations += column
        if not step.repeat:
            known.peers += items
            known.peer_positions += [position] * len(items)
            known.peer_durations += column


def _finished(item: Checked) -> bool:
    """Whether `item` has a duration (Checked.duration), its last step line having a time."""
    return item.complete and not item.begins_before_log


def _alone(line: Record) -> tuple[Record]:
    return (line,)


def table(checked: list[Checked], by_type: dict[str, Samples] | None = None) -> dict[str, dict[str, object]]:
    """Per operation type: its stats (duration of complete operations) and its steps' stats."""
    by_type = by_type if by_type is not None else samples(checked)
    out: dict[str, dict[str, object]] = {}
    for name in sorted(by_type):
        found = by_type[name]
        items = found.items
        entry: dict[str, object] = stats([d for _, d in found.timed],
                                         ok=sum(1 for c in items if c.status == OK))
        entry["count"] = len(items)
        entry["deviations"] = sum(len(c.deviations) for c in items)
        order: list[str] = [s.name for s in items[0].flow.steps]
        entry["steps"] = {step: stats(found.steps[step].durations) for step in order if step in found.steps}
        out[name] = entry
    return out


def slow(checked: list[Checked], threshold: float | None,
         by_type: dict[str, Samples] | None = None) -> None:
    """Add `slow` deviations: far above the same type's other durations, or over `threshold`.

    "The others" are those of the same log: operations whose first line comes from the same
    folder.  Logs of different deployments given together (a devstack job beside a replay
    on mini-Nova) are not held to each other's pace.
    """
    by_type = by_type if by_type is not None else samples(checked)
    folder = _Folders()
    sources = {item.operation.records[0].source for item in checked}
    if len({os.path.dirname(source) for source in sources}) <= 1:
        folder = _one_folder  # the common case: one log, nothing to split
    for found in by_type.values():
        for timed in _split(found.timed, folder, lambda pair: pair[0]):
            values = [d for _, d in timed]
            for (item, duration), middle in zip(timed, dv.outliers(values), strict=True):
                if middle is not None or (threshold is not None and duration > threshold):
                    _judge(item, None, duration, middle, len(values) - 1, threshold, None)
        for name, step in found.steps.items():
            if not step.peers:
                continue
            triples = list(zip(step.peers, step.peer_positions, step.peer_durations, strict=True))
            for peers in _split(triples, folder, itemgetter(0)):
                values = [duration for _, _, duration in peers]
                for position, middle in enumerate(dv.outliers(values)):
                    duration = values[position]
                    if middle is not None or (threshold is not None and duration > threshold):
                        item, step_position, _ = peers[position]
                        _judge(item, name, duration, middle, len(values) - 1, threshold,
                               item.step_record(step_position))


class _Folders:
    """The folder of an operation's first line (its log), remembered per file name."""

    def __init__(self) -> None:
        self._known: dict[str, str] = {}

    def __call__(self, item: Checked) -> str:
        source = item.operation.records[0].source
        known = self._known.get(source)
        if known is None:
            known = self._known[source] = os.path.dirname(source)
        return known


def _one_folder(item: Checked) -> str:
    return ""


def _split(pairs: list, folder, item_of) -> list[list]:
    """``pairs`` in groups by the folder of their operation (one group when all agree)."""
    if not pairs:
        return []
    if folder is _one_folder:
        return [pairs]

    def key(pair) -> str:
        return folder(item_of(pair))

    first = key(pairs[0])
    if all(key(pair) == first for pair in pairs):
        return [pairs]
    groups: dict[str, list] = {}
    for pair in pairs:
        groups.setdefault(key(pair), []).append(pair)
    return list(groups.values())


def _judge(item: Checked, step: str | None, duration: float, middle: float | None, peers: int,
           threshold: float | None, record: Record | None) -> None:
    what = f"step '{step}'" if step else item.flow.name
    evidence = [record] if record is not None else (
        [item.step_record(0), item.step_record(-1)] if item.step_count else [])
    if threshold is not None and duration > threshold:
        item.deviations.append(dv.Deviation(
            dv.SLOW, f"{what} took {duration:.2f}s, over --slow {threshold:g}s", evidence, step))
    elif middle is not None:
        item.deviations.append(dv.Deviation(
            dv.SLOW, f"{what} took {duration:.2f}s; the other {peers} in this log took "
            f"{middle:.2f}s (median)", evidence, step))
