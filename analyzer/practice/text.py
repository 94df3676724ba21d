"""Plain-text views for the terminal: the exercise list and a walkthrough."""

from __future__ import annotations

import textwrap

from analyzer.lifecycle.text import counted
from analyzer.practice.catalog import Catalogue, Messages
from analyzer.practice.walkthrough import LogLine, OperationView, StepView, Walkthrough

__all__ = ["comparison_rows", "comparison_text", "exercise_list", "walkthrough_text"]

_YOURS = 8  # the first exercises of the catalogue are the user's own list
_MARKERS = {"flow": " ", "message": "~", "silent": "!"}


def exercise_list(known: Catalogue, text: Messages) -> str:
    out = [text("ui", "list_header")]
    for index, exercise in enumerate(known.exercises):
        if index in (0, _YOURS):
            out += ["", f"  {text('ui', 'yours' if index == 0 else 'others')}:"]
        aliases = f"  [{', '.join(exercise.aliases)}]" if exercise.aliases else ""
        out.append(f"    {exercise.name:<18}{text('exercises', f'{exercise.name}.line')}{aliases}")
    return "\n".join(out)


def _clip(value: str, width: int) -> str:
    value = value.replace("\n", " ")
    return value if len(value) <= width else value[: width - 1] + "…"


def _line(line: LogLine, width: int = 110) -> str:
    return f"{line.where:<28} {line.time[11:]} {line.level:<5} {_clip(line.text, width)}"


def _step(number: int, step: StepView, text: Messages, max_lines: int) -> list[str]:
    marker = _MARKERS[step.kind]
    sets = f"  -> {step.sets}" if step.sets else ""
    flags = f"  [{', '.join(step.flags)}]" if step.flags else ""
    out = [f"  {number:>2}{marker} {step.name:<22} {step.service:<15}{sets}{flags}".rstrip()]
    width = 100 if text.lang == "en" else 56  # a CJK character takes two columns
    out += [f"        {part}" for part in textwrap.wrap(step.explanation, width)]
    for line in step.lines[:max_lines]:
        out.append(f"        {_line(line)}")
    if len(step.lines) > max_lines:
        out.append(f"        {text('ui', 'more_lines', count=len(step.lines) - max_lines)}")
    if step.no_line:
        out.append(f"        ({step.no_line})")
    for proof in step.proofs:
        out.append(f"        {text('ui', 'proof')}: {proof.text}")
        for line in proof.lines[:max_lines]:
            out.append(f"          {_line(line)}")
    return out


def _operation(op: OperationView, text: Messages, max_lines: int) -> list[str]:
    took = f", {text('ui', 'took')} {op.duration:.3f}s" if op.duration is not None else ""
    out = [f"{op.flow} [{op.status}] {text('ui', 'instance')} {op.instance}: "
           f"{text('ui', 'from_to', before=op.before, after=op.after)}{took}",
           f"  {op.title}"]
    if op.request_id:
        out.append(f"  {text('ui', 'request')} {op.request_id}")
    for number, step in enumerate(op.steps, 1):
        out += _step(number, step, text, max_lines)
    for deviation in op.deviations:
        out.append(f"  ! {deviation}")
    return out


def walkthrough_text(walk: Walkthrough, text: Messages, max_lines: int = 3) -> str:
    """The walkthrough for the terminal: prerequisites in one line each, practised ones in full."""
    out = [f"{text('ui', 'walkthrough')}: {walk.title} — {walk.description}",
           f"{text('ui', 'driver')} {walk.driver}, {text('ui', 'log_style')} {walk.style}",
           text("ui", "legend"), ""]
    for op in walk.operations:
        if not op.practised:
            out.append(f"{text('ui', 'prerequisite')}: {op.flow} [{op.status}] {op.instance} "
                       f"{text('ui', 'from_to', before=op.before, after=op.after)}")
    for op in walk.practised:
        out += [""] + _operation(op, text, max_lines)
    operations = counted(len(walk.operations), "operation")
    out.append("")
    if walk.deviation_count:
        out.append(text("ui", "check_bad", operations=operations,
                        deviations=counted(walk.deviation_count, "deviation")))
    else:
        out.append(text("ui", "check_ok", operations=operations))
    return "\n".join(out)


def comparison_rows(comparison, text: Messages) -> list[tuple[str, list[str]]]:
    """(aspect, one cell per side) rows of the pause-vs-suspend comparison, for text and HTML."""
    sides = comparison.sides

    def seconds(value: float | None) -> str:
        return f"{value:.3f} s" if value is not None else "-"

    def first(lines) -> str:
        return f"{lines[0].where}  {lines[0].text}" if lines else text("compare", "none")

    return [
        (text("compare", "kept"), [text("compare", "kept_disk" if s.kept_on_disk else "kept_memory",
                                        files=", ".join(s.files) or "-") for s in sides]),
        (text("compare", "state_after"), [f"{s.operation}: {s.state_after}" for s in sides]),
        (text("compare", "api_status"), [f"{s.api_status} (power_state {s.power_state})" for s in sides]),
        (text("compare", "lifecycle"), ["; ".join(f"{line.where} {line.text}" for line in s.lifecycle)
                                        for s in sides]),
        (text("compare", "compute_line"), [first(s.compute_lines) for s in sides]),
        (text("compare", "back_line"), [f"{s.back}: {first(s.back_lines)}" for s in sides]),
        (text("compare", "back_state"), [s.back_state for s in sides]),
        (text("compare", "back_time_logs"), [seconds(s.back_seconds_logs) for s in sides]),
        (text("compare", "back_time_client"), [seconds(s.back_seconds_client) for s in sides]),
    ]


def comparison_text(comparison, text: Messages) -> str:
    names = [side.name for side in comparison.sides]
    out = [text("compare", "title"), ""]
    for aspect, cells in comparison_rows(comparison, text):
        out.append(f"{aspect}:")
        for name, cell in zip(names, cells, strict=True):
            out.append(f"    {name:<8} {_clip(cell, 170)}")
    out += ["", text("compare", "note", driver=comparison.driver)]
    return "\n".join(out)
