"""What a report covers: the instances and time window asked for, and what it draws in detail.

Tables and plots always cover every operation in scope.  Timelines and waterfalls draw
every step of an instance, which a browser cannot do for a hundred thousand operations
at once, so past `Limits` they are drawn for a sample of instances — those with
deviations first, then a spread over time — and the page says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from analyzer.errors import InputError
from analyzer.lifecycle import CheckResult, durations
from analyzer.lifecycle.machine import OK, Checked, InstanceStory

_NO_TIME = float("-inf")


@dataclass(frozen=True)
class Limits:
    """How much a page draws item by item; past these it samples or aggregates."""

    detail_steps: int = 5_000  # step marks in all timelines together
    detail_instances: int = 500  # instances with a timeline
    instance_operations: int = 300  # operations in one instance's timeline
    table_deviations: int = 300  # operations listed with their deviations and evidence
    table_instances: int = 2_000  # rows of the instances table
    box_points: int = 2_000  # a type with more operations gets a box from statistics, no points
    unknown_templates: int = 25  # rows of the unrecognized templates table


@dataclass
class Scope:
    """The operations and instances in the report, with their `check --json` ids."""

    result: CheckResult
    stories: dict[str, InstanceStory]  # instance -> story, in scope
    checked: list[Checked]  # every operation in scope, in time order
    ids: dict[int, int]  # id(checked) -> the operation's number in `check --json`
    detailed: list[str] = field(default_factory=list)  # instances drawn, in time order
    shown_operations: dict[str, list[Checked]] = field(default_factory=dict)  # per detailed instance
    durations: dict[str, dict[str, object]] = field(default_factory=dict)
    since: float | None = None
    until: float | None = None
    notices: list[str] = field(default_factory=list)

    def op_id(self, item: Checked) -> int:
        return self.ids[id(item)]


def parse_time(text: str | None, option: str) -> float | None:
    """`--since`/`--until` as epoch seconds: an ISO 8601 date or time, UTC unless it says."""
    if text is None:
        return None
    cleaned = text.strip().replace("Z", "+00:00").replace("z", "+00:00")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}([.,]\d+)?)?([+-]\d{2}:?\d{2})?", cleaned) \
            or re.fullmatch(r"\d{4}-\d{2}-\d{2}", cleaned):
        try:
            moment = datetime.fromisoformat(cleaned.replace(",", "."))
        except ValueError:
            moment = None
        if moment is not None:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return moment.timestamp()
    raise InputError(f"{option} {text!r}: not a time; write e.g. 2016-06-28 13:57:00 (UTC) "
                     "or 2016-06-28T13:57:00+02:00")


def resolve_instances(known: dict[str, InstanceStory], wanted: list[str]) -> list[str]:
    """Each wanted UUID or unique UUID prefix as the full UUID (InputError when none or several)."""
    chosen: list[str] = []
    for text in wanted:
        prefix = text.strip().lower()
        matches = [uuid for uuid in known if uuid.startswith(prefix)] if prefix else []
        if not matches:
            listed = ", ".join(sorted(known)[:10]) or "none"
            raise InputError(f"no instance {text!r} in these logs; instances: {listed}"
                             + (" …" if len(known) > 10 else ""))
        if len(matches) > 1:
            raise InputError(f"{text!r} matches {len(matches)} instances: {', '.join(sorted(matches)[:10])}")
        if matches[0] not in chosen:
            chosen.append(matches[0])
    return chosen


def scope(result: CheckResult, *, instances: list[str] | None = None, since: float | None = None,
          until: float | None = None, limits: Limits | None = None) -> Scope:
    """The part of `result` a report shows, and the instances drawn in detail."""
    if since is not None and until is not None and since > until:
        raise InputError("--since is after --until")
    everything = result.checked
    ids = {id(item): number for number, item in enumerate(everything, 1)}
    names = resolve_instances(result.stories, instances) if instances else sorted(result.stories)
    stories = {name: result.stories[name] for name in names}
    wanted = set(names)
    checked = [item for item in everything
               if item.operation.instance in wanted and _within(item, since, until)]
    if since is not None or until is not None:  # instances seen only outside the window go
        active = {item.operation.instance for item in checked}
        stories = {name: story for name, story in stories.items()
                   if name in active or any(_inside(t.time, since, until) for t in story.transitions)}
    out = Scope(result, stories, checked, ids, since=since, until=until)
    filtered = len(checked) != len(everything)
    out.durations = durations.table(checked) if filtered else result.durations
    _choose_detail(out, limits or Limits())
    return out


def _within(item: Checked, since: float | None, until: float | None) -> bool:
    start = item.start
    last = item.operation.last
    if since is not None and last < since:
        return False
    return not (until is not None and start > until)


def _inside(moment: float | None, since: float | None, until: float | None) -> bool:
    if moment is None:
        return False
    return (since is None or moment >= since) and (until is None or moment <= until)


def _choose_detail(out: Scope, limits: Limits) -> None:
    """Instances to draw: all when they fit the limits, else deviating ones first, then a
    sample spread evenly over time."""
    per_instance: dict[str, list[Checked]] = {name: [] for name in out.stories}
    for item in out.checked:
        per_instance.setdefault(item.operation.instance, []).append(item)
    first_seen = {name: _first_time(out.stories[name], items) for name, items in per_instance.items()}
    ordered = sorted(per_instance, key=lambda name: (first_seen[name], name))
    clipped = 0
    for name in ordered:
        items = per_instance[name]
        if len(items) > limits.instance_operations:
            clipped += 1
            per_instance[name] = items[:limits.instance_operations]
    weight = {name: max(1, sum(len(c.steps) for c in per_instance[name])) for name in ordered}
    total_steps = sum(weight.values())
    if len(ordered) <= limits.detail_instances and total_steps <= limits.detail_steps:
        chosen = ordered
    else:
        troubled = [n for n in ordered if any(c.status != OK for c in per_instance[n])]
        marked = set(troubled)
        calm = [n for n in ordered if n not in marked]
        chosen_set: set[str] = set()
        budget = limits.detail_steps
        for name in troubled[: limits.detail_instances // 2] + _spread(calm, limits.detail_instances):
            if len(chosen_set) >= limits.detail_instances:
                break
            if weight[name] <= budget or not chosen_set:
                chosen_set.add(name)
                budget -= weight[name]
        chosen = [name for name in ordered if name in chosen_set]
        operations = sum(len(per_instance[n]) for n in chosen)
        out.notices.append(
            f"Timelines and waterfalls are drawn for {len(chosen):,} of {len(ordered):,} instances "
            f"({operations:,} of {len(out.checked):,} operations): those with deviations first, then a "
            f"sample spread over time, so the page stays quick to open. Tables and plots cover all "
            f"{len(out.checked):,} operations; pick instances with --instance to draw others.")
    if clipped:
        out.notices.append(f"{clipped} instances have more than {limits.instance_operations} operations; "
                           f"their timelines show the first {limits.instance_operations}.")
    out.detailed = chosen
    out.shown_operations = {name: per_instance[name] for name in chosen}


def _spread(names: list[str], count: int) -> list[str]:
    """Up to `count` of `names`, evenly spaced through the list (which is in time order)."""
    if len(names) <= count:
        return list(names)
    step = len(names) / count
    return [names[int(i * step)] for i in range(count)]


def _first_time(story: InstanceStory, items: list[Checked]) -> float:
    times = [c.start for c in items if c.start != _NO_TIME]
    times += [t.time for t in story.transitions if t.time is not None]
    return min(times) if times else _NO_TIME
