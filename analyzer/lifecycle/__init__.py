"""Rebuild each instance's lifecycle and check its operations against the flow specs.

    parse stream -> records.select, records_of (steps, observations, problems)
                 -> correlate (operations per instance, by request id, then time)
                 -> machine.Checker (steps, deviations, states)
                 -> durations (stats, slow)
"""

from __future__ import annotations

import gc
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from analyzer.errors import InputError
from analyzer.lifecycle import deviations as dv
from analyzer.lifecycle import durations
from analyzer.lifecycle.correlate import correlate
from analyzer.lifecycle.machine import API_OWN_EVENTS, Checked, Checker, InstanceStory, StepSeen
from analyzer.lifecycle.matching import FlowIndex, hits_for, narrowing, step_events
from analyzer.lifecycle.records import InputFacts, iso_time, records_of, select
from analyzer.lifecycle.verdicts import LINE_SHAPES
from analyzer.parse.grammar import catalogue
from analyzer.parse.pipeline import ParseSummary, Progress, parse_stream
from analyzer.vocab.events import GENERIC_EVENTS
from analyzer.vocab.flows import Flow, load_flows

RELEASE_CHOICES = ("auto", "2016", "current")


@dataclass
class CheckResult:
    """Everything `novatrace check` reports; `as_dict()` is its JSON."""

    release: str
    flows: list[Flow]
    stories: dict[str, InstanceStory]
    summary: ParseSummary
    facts: InputFacts
    durations: dict[str, dict[str, object]] = field(default_factory=dict)

    @property
    def checked(self) -> list[Checked]:
        """Every checked operation, in time order (worked out on each call: callers may edit
        the stories, as a replay from a log does to begin it later)."""
        items = [c for story in self.stories.values() for c in story.checked]
        return sorted(items, key=_first_line)  # records are ranked by time (records.Record.order)

    @property
    def deviation_count(self) -> int:
        return sum(len(c.deviations) for c in self.checked)

    def as_dict(self) -> dict[str, object]:
        with _cycles_uncollected():  # a million-line log's JSON is a few million small dicts
            return self._as_dict()

    def _as_dict(self) -> dict[str, object]:
        checked = self.checked
        operations = [operation_dict(number, item) for number, item in enumerate(checked, 1)]
        ids = {id(item): op["id"] for item, op in zip(checked, operations, strict=True)}
        instances = {}
        for uuid in sorted(self.stories):
            story = self.stories[uuid]
            instances[uuid] = {
                "final_state": story.final_state.as_dict(),
                "operations": [ids[id(c)] for c in story.checked],
                "timeline": [{"time": iso_time(t.time), **t.state.as_dict(), "cause": t.cause,
                              "evidence": t.evidence.evidence() if t.evidence else None}
                             for t in story.transitions],
            }
        kinds = Counter(d.kind for c in checked for d in c.deviations)
        statuses = Counter(c.status for c in checked)
        return {
            "instances": instances,
            "operations": operations,
            "summary": {
                "release": self.release,
                "files": self.summary.files,
                "lines": self.summary.lines,
                "records": self.summary.records,
                "first_time": self.summary.first_time.isoformat() if self.summary.first_time else None,
                "last_time": self.summary.last_time.isoformat() if self.summary.last_time else None,
                "instances": len(self.stories),
                "operations": len(operations),
                "statuses": dict(sorted(statuses.items())),
                "deviations": {kind: kinds.get(kind, 0) for kind in dv.KINDS},
                "durations": self.durations,
                "warnings": self.summary.warnings,
            },
        }


def operation_dict(number: int, item: Checked) -> dict[str, object]:
    return {
        "id": number,
        "instance": item.operation.instance,
        "operation": item.flow.name,
        "family": item.flow.family,
        "request_id": item.operation.request_id,
        "start": iso_time(item.start),
        "end": iso_time(item.end),
        "duration_s": round(item.duration, 3) if item.duration is not None else None,
        "status": item.status,
        "begins_before_log": item.begins_before_log,
        "state_before": item.before.as_dict(),
        "state_after": item.after.as_dict(),
        "steps": [_step_dict(seen) for seen in item.steps],
        "deviations": [d.as_dict() for d in item.deviations],
    }


def _step_dict(seen: StepSeen) -> dict[str, object]:
    evidence = seen.record.evidence()
    return {"step": seen.step.name, "service": seen.step.service, "time": evidence["time"],
            "duration_s": round(seen.duration, 3) if seen.duration is not None else None,
            "evidence": [evidence]}


def known_events() -> list[str]:
    """The events flow specs may name: the catalogue plus the generic kinds."""
    return catalogue().events + list(GENERIC_EVENTS)


def flows_from(directory: str | Path | None) -> list[Flow]:
    return load_flows(Path(directory) if directory is not None else None, known_events())


def check(
    paths: list[str | Path],
    *,
    flows_dir: str | Path | None = None,
    release: str = "auto",
    slow: float | None = None,
    format: str = "auto",
    tz: str | None = None,
    host: str | None = None,
    jobs: int = 1,
    instances: list[str] | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> CheckResult:
    """Parse `paths`, rebuild every instance's operations and check them against the flows.

    Raises InputError (FlowError for a broken spec) before reading any log.
    """
    if release not in RELEASE_CHOICES:
        raise InputError(f"unknown release {release!r}; choose one of {', '.join(RELEASE_CHOICES)}")
    if slow is not None and slow <= 0:
        raise InputError(f"--slow must be a positive number of seconds, not {slow:g}")
    flows = flows_from(flows_dir)
    summary = ParseSummary()
    stream = parse_stream(list(paths), format=format, tz=tz, host=host, jobs=jobs,
                          progress=progress, summary=summary)
    # the parse runs here, the cycle collector left on: the parse makes short-lived
    # cycles, and memory it frees is memory it reuses while still in the caches
    kept, facts = select(stream, step_events(flows), narrowing(flows))
    with _cycles_uncollected():
        return _check(kept, facts, summary, flows, release=release, slow=slow, instances=instances)


@contextmanager
def _cycles_uncollected() -> Iterator[None]:
    """The cycle collector off while the engine makes a few hundred thousand small objects
    that form no cycles: it would walk them all again and again while they are being made.

    On the way out they go straight to the oldest generation.  Left in the youngest, the
    first allocation after `gc.enable()` walks them all (0.3 s for the 400,000 objects of a
    million-line check) only to find nothing to free; `gc.freeze()` then `gc.unfreeze()`
    moves them without a walk (unless the caller froze objects of its own: those stay).
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        if collecting:
            gc.enable()


def _check(kept: pa.Table | None, facts: InputFacts, summary: ParseSummary, flows: list[Flow], *,
           release: str, slow: float | None, instances: list[str] | None) -> CheckResult:
    hits = hits_for(flows)
    records, keys = records_of(kept, hits, LINE_SHAPES)
    # a `[None req-…` context is today's layout even where no caller sent a global request id
    facts.current_sources |= summary.global_id_sources
    rows = np.arange(len(records))
    if instances:
        wanted = set(instances)
        rows = np.array([i for i, r in enumerate(records) if r.instance is None or r.instance in wanted],
                        dtype=np.int64)
    # each file is read in its own release's wording and routing (a directory may hold both)
    by_release: dict[str, np.ndarray] = {}
    if release != "auto" or not facts.current_sources:  # one release for every record
        if len(rows):
            by_release[release if release != "auto" else "2016"] = rows
    else:
        current = np.array([facts.release_of(source) == "current" for source in keys.sources] + [False])
        in_current = current[keys.source[rows]]  # a record without a source (-1) reads as 2016's
        for name, part in (("2016", rows[~in_current]), ("current", rows[in_current])):
            if len(part):
                by_release[name] = part
    stories: dict[str, InstanceStory] = {}
    for chosen, part in sorted(by_release.items()):
        index = FlowIndex(flows, chosen, API_OWN_EVENTS, hits)
        if len(part) == len(records):
            correlation = correlate(records, keys, index)
        else:
            correlation = correlate([records[row] for row in part.tolist()], keys.take(part), index)
        checker = Checker(index, facts)
        per_instance = defaultdict(list)
        for operation in correlation.operations:
            per_instance[operation.instance].append(operation)
        names = set(per_instance) | set(correlation.observations)
        if instances:
            names &= set(instances)
        for name in sorted(names):
            told = checker.story(name, per_instance.get(name, []), correlation.observations.get(name, []))
            if name in stories:  # an instance in files of both releases
                stories[name].checked += told.checked
                stories[name].transitions += told.transitions
            else:
                stories[name] = told
    chosen = release if release != "auto" else " and ".join(sorted(by_release)) or "2016"
    result = CheckResult(chosen, flows, stories, summary, facts)
    checked = result.checked
    by_type = durations.samples(checked)
    durations.slow(checked, slow, by_type)
    result.durations = durations.table(checked, by_type)
    return result


def _first_line(item: Checked) -> int:
    return item.operation.records[0].order
