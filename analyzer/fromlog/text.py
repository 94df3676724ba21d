"""The plain-text comparison `novatrace replay --from-log` prints: a table, then the differences."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from analyzer.fromlog.compare import Comparison, OperationDiff
from analyzer.lifecycle.text import counted

# "missing": steps only the original shows, "extra": steps only the replay shows; "seconds":
# original / replay duration, "ratio": replay over original; the end state is last (wide when they differ)
_COLUMNS = (("instance", 8), ("replayed", 8), ("operation", 13), ("original", 10), ("replay", 10),
            ("steps", 7), ("missing", 7), ("extra", 5), ("optional", 8), ("seconds", 13), ("ratio", 5),
            ("end state (original / replay)", 0))


def describe(comparison: Comparison) -> str:
    """The whole text: what was replayed, the table, the differences, what was not replayed."""
    original, replay_plan = comparison.original, comparison.plan
    speed = f"speed {replay_plan.speed:g}" if replay_plan.speed else "speed 0 (no waits)"
    out = [
        f"original: {counted(len(original.stories), 'instance')}, "
        f"{counted(len(original.checked), 'operation')}, release {original.release} "
        f"({counted(original.summary.files, 'file')}, {counted(original.summary.lines, 'line')})",
        f"replayed: {counted(len(comparison.operations), 'operation')} on mini-Nova in "
        f"{comparison.seconds:.1f}s, log style {comparison.style}, timing {comparison.timing}, {speed}, "
        f"waited {replay_plan.waited:.1f}s; logs in {comparison.log_dir}",
        "",
        "  ".join(name.ljust(width) for name, width in _COLUMNS).rstrip(),
    ]
    out += [_row(item) for item in comparison.operations]
    out.append("")
    differing = comparison.differing
    unlogged = sum(len(item.unlogged) for item in comparison.operations)
    other_release = sum(len(item.other_release) for item in comparison.operations)
    same = len(comparison.operations) - len(differing)
    out.append(f"{counted(same, 'operation')} with the same required steps, end state and answer; "
               f"{counted(len(differing), 'operation')} {'differs' if len(differing) == 1 else 'differ'}"
               + (f" ({counted(unlogged, 'step')} only in the replay that the original log could not "
                  "show are not counted)" if unlogged else "")
               + (f" ({counted(other_release, 'step')} that only one side's release logs are not counted)"
                  if other_release else ""))
    for item in differing:
        out += ["", *_difference(item)]
    varying = [item for item in comparison.operations
               if not item.differs and (item.optional_original or item.optional_replayed)]
    if varying:
        out += ["", "optional steps (or repeats) logged on one side only, as the flows allow:"]
        out += [f"  {_when(item.original.start)}  {item.name} of {_short(item.instance)}: {optional(item)}"
                for item in varying]
    if comparison.set_up:
        out += ["", "set up for the replay (their boot or state is not in the log; not compared):"]
        out += [f"  {c.flow.name} of {_short(c.operation.instance)}" for c in comparison.set_up]
    if comparison.extra:
        out += ["", "operations only in the replayed logs:"]
        out += [f"  {c.flow.name} of {_short(c.operation.instance)} [{c.status}]" for c in comparison.extra]
    if comparison.not_replayed:
        reasons = Counter(entry.reason for entry in comparison.not_replayed)
        out += ["", f"not replayed: {counted(len(comparison.not_replayed), 'operation')} ("
                + "; ".join(f"{n}: {reason}" for reason, n in reasons.most_common()) + ")"]
        for entry in comparison.not_replayed:
            item = entry.original
            out.append(f"  {_when(item.start)}  {item.flow.name} of {item.operation.instance}  "
                       f"[{item.status}]  {entry.reason}")
    out += ["", "instances (original -> replayed):"]
    out += [f"  {name} -> {server or '(not booted)'}" for name, server in comparison.instances.items()]
    return "\n".join(out)


def _row(item: OperationDiff) -> str:
    replayed = item.replayed
    steps = f"{len(item.original.steps)}/{len(replayed.steps) if replayed else '-'}"
    end = str(item.end_original) if item.same_end else f"{item.end_original} / {item.end_replayed or '-'}"
    seconds = f"{_seconds(item.original.duration)} / {_seconds(replayed.duration if replayed else None)}"
    ratio = f"{item.ratio:.2f}" if item.ratio is not None else "-"
    cells = (_short(item.instance), _short(item.replayed_instance), item.name, item.original.status,
             replayed.status if replayed else "missing", steps, str(len(item.only_original)),
             str(len(item.only_replayed)), str(len(item.optional_original) + len(item.optional_replayed)),
             seconds, ratio, end)
    return "  ".join(cell.ljust(width) for cell, (_, width) in zip(cells, _COLUMNS, strict=True)).rstrip()


def _difference(item: OperationDiff) -> list[str]:
    replayed_as = item.replayed_instance or "?"
    lines = [f"{_when(item.original.start)}  {item.name} of {item.instance} -> {replayed_as}"]
    if item.replayed is None:
        lines.append("  the replayed logs show no such operation")
        return lines
    if item.only_original:
        lines.append(f"  only in the original: {listed(item.only_original)}")
    if item.only_replayed:
        lines.append(f"  only in the replay:   {listed(item.only_replayed)}")
    if item.optional_original or item.optional_replayed:
        lines.append(f"  optional: {optional(item)}")
    if not item.same_end:
        lines.append(f"  end state: original {item.end_original}, replay {item.end_replayed}")
    if not item.same_http:
        lines.append(f"  API answer: original {item.http_original}, replay {item.http_replayed}")
    if item.original.status != item.replayed.status:
        lines.append(f"  status: original {item.original.status}, replay {item.replayed.status}")
    return lines


def optional(item: OperationDiff) -> str:
    """The optional steps only one side shows: `original image_info ×3; replay vif_wait`."""
    parts = []
    if item.optional_original:
        parts.append(f"original {listed(item.optional_original)}")
    if item.optional_replayed:
        parts.append(f"replay {listed(item.optional_replayed)}")
    return "; ".join(parts)


def listed(names: list[str]) -> str:
    """`image_info ×3, vif_wait`: each name once, with its count when repeated, in logged order
    ("-" for none)."""
    if not names:
        return "-"
    counts = Counter(names)
    return ", ".join(f"{name} ×{counts[name]}" if counts[name] > 1 else name for name in dict.fromkeys(names))


def _short(uuid: str | None) -> str:
    return uuid[:8] if uuid else "-"


def _seconds(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "-"


def _when(seconds: float) -> str:
    if seconds == float("-inf"):
        return "?"
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:23]
