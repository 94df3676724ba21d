"""Plain-text views of a check: the summary `novatrace check` prints and an instance's story."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime

from analyzer.lifecycle import CheckResult
from analyzer.lifecycle.machine import DEVIATION, FAILED, INCOMPLETE, OK, Checked, InstanceStory
from analyzer.lifecycle.records import Record, iso_time

_STATUSES = (OK, DEVIATION, FAILED, INCOMPLETE)


def summary(result: CheckResult, steps: bool = False, evidence_lines: int = 3) -> str:
    """Per operation type counts and durations, then every deviation with its evidence."""
    checked = result.checked
    out = [f"{counted(len(result.stories), 'instance')}, {counted(len(checked), 'operation')}, "
           f"release {result.release} "
           f"({counted(result.summary.files, 'file')}, {counted(result.summary.lines, 'line')})", ""]
    out += _type_table(result, checked)
    if steps:
        out += _step_tables(result)
    deviating = [c for c in checked if c.deviations]
    count = sum(len(c.deviations) for c in deviating)
    if not deviating:
        out += ["", "every operation follows its flow"]
        return "\n".join(out)
    kinds = Counter(d.kind for c in deviating for d in c.deviations)
    out += ["", f"{counted(count, 'deviation')} in {counted(len(deviating), 'operation')} ("
            + ", ".join(f"{kind} {n}" for kind, n in kinds.most_common()) + ")"]
    for item in deviating:
        out.append("")
        out.append(f"{_when(item.start)}  {item.flow.name} of {item.operation.instance}  [{item.status}]"
                   + (f"  request {item.operation.request_id}" if item.operation.request_id else ""))
        for deviation in item.deviations:
            out.append(f"  {deviation.kind}: {deviation.detail}")
            for evidence in deviation.evidence[:evidence_lines]:
                out.append(f"      {_evidence(evidence)}")
            if len(deviation.evidence) > evidence_lines:
                out.append(f"      … {len(deviation.evidence) - evidence_lines} more lines")
    return "\n".join(out)


def _type_table(result: CheckResult, checked: list[Checked]) -> list[str]:
    header = (f"{'operation':<16}{'count':>6}{'ok':>5}{'deviation':>10}{'failed':>7}{'incomplete':>11}"
              f"{'min_s':>9}{'median_s':>9}{'p90_s':>9}{'p95_s':>9}{'max_s':>9}")
    lines = [header]
    statuses: dict[str, Counter[str]] = defaultdict(Counter)  # not one Counter made per operation
    for item in checked:
        statuses[item.flow.name][item.status] += 1
    for name, stats in result.durations.items():
        counts = statuses.get(name, Counter())
        lines.append(f"{name:<16}{stats['count']:>6}" + "".join(
            f"{counts.get(s, 0):>{w}}" for s, w in zip(_STATUSES, (5, 10, 7, 11), strict=True))
            + "".join(_seconds(stats.get(k)) for k in ("min", "median", "p90", "p95", "max")))
    return lines


def _step_tables(result: CheckResult) -> list[str]:
    lines = []
    for name, stats in result.durations.items():
        steps = stats.get("steps") or {}
        if not steps:
            continue
        lines += ["", f"{name}: seconds since the step before",
                  f"  {'step':<20}{'count':>6}{'min':>9}{'median':>9}{'p90':>9}{'p95':>9}{'max':>9}"]
        for step, values in steps.items():  # type: ignore[union-attr]
            lines.append(f"  {step:<20}{values['count']:>6}"
                         + "".join(_seconds(values.get(k)) for k in ("min", "median", "p90", "p95", "max")))
    return lines


def story(result: CheckResult, instance: str) -> str:
    """One instance, operation by operation: steps with timings, state changes, deviations."""
    told: InstanceStory = result.stories[instance]
    out = [f"instance {instance}", f"final state {told.final_state}", ""]
    transitions = list(told.transitions)
    for item in told.checked:
        before = [t for t in transitions if t.time is not None and t.time < item.start
                  and t.cause.startswith("observed:")]
        for transition in before:
            out.append(f"{_when(transition.time)}  {transition.state}  {transition.cause}")
            transitions.remove(transition)
        duration = f"{item.duration:.2f}s" if item.duration is not None else "unfinished"
        out.append(f"{_when(item.start)}  {item.flow.name} [{item.status}] {duration}  "
                   f"{item.before} -> {item.after}" + ("  (begins before the log)" if item.begins_before_log
                                                       else ""))
        for seen in item.steps:
            took = f"+{seen.duration:.3f}s" if seen.duration is not None else ""
            sets = ""
            if seen.step.sets is not None:
                change = seen.step.sets
                sets = f"  -> ({change.vm or '='}, {change.task or '='}, {change.power or '='})"
            out.append(f"    {_when(seen.record.seconds)[11:]} {took:>10}  {seen.step.name:<16} "
                       f"{seen.record.service:<14} {_clip(seen.record.message, 70)}{sets}")
        for deviation in item.deviations:
            out.append(f"    ! {deviation.kind}: {deviation.detail}")
        out.append("")
    for transition in transitions:
        if transition.cause.startswith("observed:"):
            out.append(f"{_when(transition.time)}  {transition.state}  {transition.cause}")
    return "\n".join(out).rstrip() + "\n"


def _evidence(record: Record) -> str:
    """One line of evidence as the summary quotes it (what `Record.evidence` holds)."""
    source = str(record.source).rsplit("/", 1)[-1]
    when = (iso_time(record.t) or "")[:23].replace("T", " ")
    return f"{source}:{record.line}  {when}  {record.level or ''}  {_clip(str(record.message), 110)}"


def _seconds(value: object) -> str:
    return f"{value:>9.2f}" if isinstance(value, (int, float)) else f"{'-':>9}"


def _when(seconds: float | None) -> str:
    if seconds is None or seconds == float("-inf"):
        return "?" * 23
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:23]


def _clip(text: str, width: int) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def counted(number: int, noun: str) -> str:
    """`1 deviation`, `2 deviations`: a count with its noun in the right number."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"
