"""The original and the replayed lifecycles side by side: operation by operation, step by step.

Instances are paired by the replay itself (each original instance is booted under its own
uuid as the server's name; the replay's answer gives the new uuid).  Per instance, the
operations planned and those the replayed log's check found are aligned in order by
operation name (`difflib`'s longest matching blocks), so an operation missing on either
side shifts nothing.  Per operation pair, the steps (named by the flow specs) are
compared as multisets: steps only in the original, steps only in the replay.

Only required steps make a difference: a step the flow calls `optional`, and the further
sightings of a `repeat` step, may or may not be logged in a correct run (how many `qemu-img
info` a spawn runs, whether a `VM Resumed` lifecycle event comes before the operation's
last line), so those are listed apart as `optional_*` and do not make an operation differ.

A step only the replay shows is not a difference when the original could not have
logged it: its service's log, at the step's level, is not in the original input (an
INFO-only log shows no DEBUG step, a log without nova-conductor no conductor step), or
the original operation began before its log and the step comes before the first one
it shows.  These are kept apart as `unlogged`.  Likewise a step only one release logs
(`only 2016`, `only current` in the flows) when the replay is written in the other
release's style (`--log-style`, or an input holding both): kept apart as `other_release`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from analyzer.fromlog.plan import REPLAYED_AS, NotReplayed, Plan, Planned, api_status
from analyzer.lifecycle import CheckResult
from analyzer.lifecycle.machine import Checked
from analyzer.lifecycle.records import InputFacts, iso_time
from analyzer.replay.scenarios import StepResult
from analyzer.vocab.states import InstanceState


@dataclass
class OperationDiff:
    """One original operation and its replay (None when the replayed logs do not show it)."""

    original: Checked
    replayed: Checked | None
    replayed_instance: str | None
    http_original: int | None
    http_replayed: int | None
    only_original: list[str] = field(default_factory=list)  # required steps only the original shows
    only_replayed: list[str] = field(default_factory=list)  # required steps only the replay shows
    optional_original: list[str] = field(default_factory=list)  # optional steps (or repeats) only there
    optional_replayed: list[str] = field(default_factory=list)
    unlogged: list[str] = field(default_factory=list)  # only replayed, but the original could not log them
    other_release: list[str] = field(default_factory=list)  # only one side's release logs them

    @property
    def instance(self) -> str:
        return self.original.operation.instance

    @property
    def name(self) -> str:
        return self.original.flow.name

    @property
    def end_original(self) -> InstanceState:
        return self.original.after

    @property
    def end_replayed(self) -> InstanceState | None:
        return self.replayed.after if self.replayed is not None else None

    @property
    def same_end(self) -> bool:
        return self.end_replayed == self.end_original

    @property
    def same_steps(self) -> bool:
        return self.replayed is not None and not self.only_original and not self.only_replayed

    @property
    def same_http(self) -> bool:
        return self.http_original is None or self.http_original == self.http_replayed

    @property
    def differs(self) -> bool:
        return not (self.same_steps and self.same_end and self.same_http)

    @property
    def ratio(self) -> float | None:
        """Replayed duration over original duration (None when either is unknown)."""
        if self.replayed is None:
            return None
        before, after = self.original.duration, self.replayed.duration
        if before is None or after is None or before <= 0:
            return None
        return after / before

    def as_dict(self) -> dict[str, object]:
        replayed = self.replayed
        return {
            "instance": self.instance,
            "replayed_instance": self.replayed_instance,
            "operation": self.name,
            "replayed_operation": replayed.flow.name if replayed else None,
            "start": iso_time(self.original.start),
            "replayed_start": iso_time(replayed.start) if replayed else None,
            "status": {"original": self.original.status, "replayed": replayed.status if replayed else None},
            "http": {"original": self.http_original, "replayed": self.http_replayed},
            "steps": {"original": _names(self.original), "replayed": _names(replayed) if replayed else [],
                      "only_original": self.only_original, "only_replayed": self.only_replayed,
                      "optional_original": self.optional_original,
                      "optional_replayed": self.optional_replayed, "unlogged": self.unlogged,
                      "other_release": self.other_release},
            "end_state": {"original": self.end_original.as_dict(),
                          "replayed": self.end_replayed.as_dict() if self.end_replayed else None},
            "duration_s": {"original": _round(self.original.duration),
                           "replayed": _round(replayed.duration) if replayed else None},
            "duration_ratio": _round(self.ratio),
            "differs": self.differs,
        }


@dataclass
class Comparison:
    """What `novatrace replay --from-log` reports."""

    original: CheckResult
    replayed: CheckResult
    plan: Plan
    style: str
    timing: str
    log_dir: str
    seconds: float  # wall time of the replay itself
    instances: dict[str, str | None]  # original uuid -> replayed uuid
    operations: list[OperationDiff]
    set_up: list[Checked]  # replayed operations that set an instance up (not compared)
    extra: list[Checked]  # replayed operations with no counterpart

    @property
    def not_replayed(self) -> list[NotReplayed]:
        return self.plan.not_replayed

    @property
    def differing(self) -> list[OperationDiff]:
        return [item for item in self.operations if item.differs]

    def as_dict(self) -> dict[str, object]:
        return {
            "original": {"release": self.original.release, "files": self.original.summary.files,
                         "lines": self.original.summary.lines, "instances": len(self.original.stories),
                         "operations": len(self.original.checked)},
            "replay": {"style": self.style, "timing": self.timing, "speed": self.plan.speed,
                       "waited_s": _round(self.plan.waited), "seconds": _round(self.seconds),
                       "log_dir": self.log_dir},
            "instances": self.instances,
            "operations": [item.as_dict() for item in self.operations],
            "not_replayed": [{"instance": entry.original.operation.instance,
                              "operation": entry.original.flow.name, "start": iso_time(entry.original.start),
                              "reason": entry.reason} for entry in self.not_replayed],
            "set_up": [{"instance": c.operation.instance, "operation": c.flow.name} for c in self.set_up],
            "extra": [{"instance": c.operation.instance, "operation": c.flow.name, "start": iso_time(c.start)}
                      for c in self.extra],
            "summary": {"compared": len(self.operations), "differing": len(self.differing),
                        "not_replayed": len(self.not_replayed)},
        }


def compare(original: CheckResult, replayed: CheckResult, plan: Plan, results: list[StepResult], *,
            style: str, timing: str, log_dir: str, seconds: float) -> Comparison:
    """Align the replayed check with the original one (see the module docstring)."""
    instances: dict[str, str | None] = {name: None for name in plan.scenario.instances}
    sent = [result for result in results if result.operation != "wait"]
    for result in sent:
        if result.instance and result.server:
            instances[result.instance] = result.server
    answers = {id(item): result.status for item, result in zip(plan.planned, sent, strict=True)}
    operations: list[OperationDiff] = []
    set_up: list[Checked] = []
    extra: list[Checked] = []
    for instance, server in instances.items():
        planned = [item for item in plan.planned if item.operation.instance == instance]
        story = replayed.stories.get(server) if server else None
        shown = sorted(story.checked, key=lambda c: c.start) if story else []
        pairs = _align(planned, shown)
        for item, match in pairs:
            if item is None:
                extra.append(match)  # type: ignore[arg-type]
            elif item.original is None:
                if match is not None:
                    set_up.append(match)
            else:
                operations.append(_diff(item.original, match, server, answers.get(id(item)),
                                        original.facts, style))
    operations.sort(key=lambda d: (d.original.start, d.original.operation.records[0].order))
    return Comparison(original, replayed, plan, style, timing, log_dir, seconds, instances, operations,
                      set_up, extra)


def _align(planned: list[Planned], shown: list[Checked]) -> list[tuple[Planned | None, Checked | None]]:
    """Planned and replayed operations paired in order by name; the unpaired with None."""
    left = [item.operation.name for item in planned]
    right = [REPLAYED_AS.get(c.flow.name, c.flow.name) for c in shown]
    pairs: list[tuple[Planned | None, Checked | None]] = []
    i = j = 0
    for block in SequenceMatcher(None, left, right, autojunk=False).get_matching_blocks():
        pairs += [(planned[k], None) for k in range(i, block.a)]
        pairs += [(None, shown[k]) for k in range(j, block.b)]
        pairs += [(planned[block.a + k], shown[block.b + k]) for k in range(block.size)]
        i, j = block.a + block.size, block.b + block.size
    return pairs


def _diff(original: Checked, replayed: Checked | None, server: str | None, answer: int | None,
          facts: InputFacts, style: str) -> OperationDiff:
    http_replayed = api_status(replayed) if replayed is not None else None
    diff = OperationDiff(original, replayed, server, api_status(original), http_replayed or answer)
    if replayed is None:
        return diff
    before, after = Counter(_names(original)), Counter(_names(replayed))
    missing = _expand(before - after, _names(original))
    unseen = _unseen_steps(original, replayed, facts)
    extra = _expand(after - before, _names(replayed))
    diff.unlogged = [name for name in extra if name in unseen]
    extra = [name for name in extra if name not in unseen]
    release = facts.release_of(original.operation.records[0].source)
    if release != style:  # steps that only one of the two releases logs
        theirs = {step.name for step in original.flow.steps if step.release == release}
        ours = {step.name for step in replayed.flow.steps if step.release == style}
        diff.other_release = [name for name in missing if name in theirs] + [name for name in extra
                                                                              if name in ours]
        missing = [name for name in missing if name not in theirs]
        extra = [name for name in extra if name not in ours]
    diff.only_original, diff.optional_original = _split(missing, original, after)
    diff.only_replayed, diff.optional_replayed = _split(extra, replayed, before)
    return diff


def _split(names: list[str], side: Checked, other: Counter[str]) -> tuple[list[str], list[str]]:
    """`names` (steps only `side` shows) as (required, optional): optional steps, and repeat
    steps the other side shows at least once, may come or not in a correct run."""
    steps = {step.name: step for step in side.flow.steps}
    required: list[str] = []
    optional: list[str] = []
    for name in names:
        step = steps.get(name)
        loose = step is not None and (step.optional or (step.repeat and other[name] > 0))
        (optional if loose else required).append(name)
    return required, optional


def _unseen_steps(original: Checked, replayed: Checked, facts: InputFacts) -> set[str]:
    """Names of the replayed operation's steps the original input could not have shown."""
    steps = replayed.flow.steps
    seen = {s.step.name for s in original.steps}
    # the first step in sequence the original shows (async steps may come at any time)
    first = min((i for i, step in enumerate(steps) if step.name in seen and not step.unordered),
                default=len(steps))
    unseen = set()
    for index, step in enumerate(steps):
        if not facts.logs(step.service, step.debug) or (original.begins_before_log and index < first):
            unseen.add(step.name)
    return unseen


def _names(checked: Checked | None) -> list[str]:
    return [s.step.name for s in checked.steps] if checked is not None else []


def _expand(counts: Counter[str], order: list[str]) -> list[str]:
    """The names of `counts`, each as many times as counted, in the order they were logged."""
    out: list[str] = []
    left = Counter(counts)
    for name in order:
        if left[name] > 0:
            out.append(name)
            left[name] -= 1
    return out


def _round(value: float | None) -> float | None:
    return round(value, 3) if value is not None else None
