"""A walkthrough: each documented step of an operation beside the log lines that show it.

The steps are the flow specs' (grammars/flows, as `novatrace check` reads them), in the
spec's order, with the lines the check matched to them (file and line); the catalogue's
extras add the RPC messages of the request (found by event, service and topic among the
request's own lines) and the steps Nova performs without logging anything, each with what
proves it instead (the access line, the instance action, a 409 on the locked instance, the
server's status, a file on disk).  Every text comes from the message catalogue.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

import analyzer
from analyzer.lifecycle.machine import Checked
from analyzer.lifecycle.records import Record
from analyzer.practice.catalog import Extra, Messages, catalogue
from analyzer.practice.runner import Observation, Run
from analyzer.vocab.flows import StateChange, Step

__all__ = ["LogLine", "OperationView", "Proof", "StepView", "Walkthrough", "build", "state_text"]


@dataclass(frozen=True)
class LogLine:
    file: str  # relative to the exercise's directory, e.g. logs/nova-api.log
    line: int
    time: str
    service: str
    level: str
    text: str

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class Proof:
    kind: str
    text: str
    lines: list[LogLine] = field(default_factory=list)


@dataclass
class StepView:
    name: str
    kind: str  # flow (a step of the spec) | message (an RPC line) | silent (no line in Nova)
    service: str
    explanation: str
    sets: str | None = None
    flags: tuple[str, ...] = ()
    lines: list[LogLine] = field(default_factory=list)
    no_line: str | None = None  # why no line shows this step
    proofs: list[Proof] = field(default_factory=list)

    @property
    def accounted(self) -> bool:
        """Matched to a line, or explicitly marked as leaving none."""
        return bool(self.lines) or self.no_line is not None


@dataclass
class OperationView:
    flow: str
    title: str
    instance: str
    practised: bool
    status: str
    before: str
    after: str
    duration: float | None
    request_id: str | None
    steps: list[StepView]
    deviations: list[str]


@dataclass
class Walkthrough:
    exercise: str
    title: str
    description: str
    lang: str
    style: str
    driver: str
    out_dir: Path
    operations: list[OperationView]
    deviation_count: int
    log_files: list[str]

    @property
    def practised(self) -> list[OperationView]:
        return [op for op in self.operations if op.practised]


def state_text(change: StateChange | None) -> str | None:
    if change is None:
        return None
    return f"({change.vm or '='}, {change.task or '='}, {change.power or '='})"


def _state(value: object) -> str:
    parts = value.as_dict() if hasattr(value, "as_dict") else {}
    return "(" + ", ".join(str(parts.get(k) or "?") for k in ("vm_state", "task_state", "power_state")) + ")"


class _Lines:
    """Log lines cited relative to the exercise's directory, and the parsed logs' rows."""

    def __init__(self, out_dir: Path, frames: dict[Path, pd.DataFrame]) -> None:
        self.out_dir = out_dir
        self.frames = frames

    def _file(self, source: str) -> str:
        path = Path(source)
        try:
            return path.resolve().relative_to(self.out_dir.resolve()).as_posix()
        except ValueError:
            return path.name

    def of_record(self, record: Record) -> LogLine:
        evidence = record.evidence()
        when = str(evidence.get("time") or "")[:23].replace("T", " ")
        return LogLine(self._file(record.source), record.line, when, record.service, record.level or "",
                       record.message)

    def of_row(self, row: pd.Series) -> LogLine:
        when = row.time.strftime("%Y-%m-%d %H:%M:%S.%f")[:23] if pd.notna(row.time) else ""
        return LogLine(self._file(row.source), int(row.line), when, row.service or "", row.level or "",
                       row.message)

    def rows(self, log_dir: Path) -> pd.DataFrame:
        if log_dir not in self.frames:
            self.frames[log_dir] = analyzer.parse_logs([log_dir])
        return self.frames[log_dir]


def _fields(row: pd.Series) -> dict:
    return json.loads(row.fields) if isinstance(row.fields, str) and row.fields else {}


def build(run: Run, text: Messages) -> Walkthrough:
    """The walkthrough of ``run`` in the language of ``text``."""
    out_dir = run.log_dir.parent
    lines = _Lines(out_dir, {})
    by_server = {server: name for name, server in run.servers.items()}
    known = catalogue()
    operations = []
    for checked in run.result.checked:
        instance = by_server.get(checked.operation.instance, checked.operation.instance)
        observation = next((o for o in run.observations if o.instance == instance
                            and known.flow_name(o.operation, run.style) == checked.flow.name), None)
        operations.append(_operation(run, checked, instance, observation, lines, text))
    name = run.exercise.name
    return Walkthrough(
        exercise=name, title=text("exercises", f"{name}.title"),
        description=text("exercises", f"{name}.line"),
        lang=text.lang, style=run.style, driver=run.driver, out_dir=out_dir, operations=operations,
        deviation_count=run.result.deviation_count,
        log_files=sorted(p.relative_to(out_dir).as_posix() for p in run.log_dir.glob("*.log")))


def _operation(run: Run, checked: Checked, instance: str, observation: Observation | None, lines: _Lines,
               text: Messages) -> OperationView:
    flow = checked.flow
    seen: dict[str, list[Record]] = {}
    for step_seen in checked.steps:
        seen.setdefault(step_seen.step.name, []).append(step_seen.record)
    steps = [_flow_step(flow.name, step, seen.get(step.name, []), lines, text)
             for step in flow.steps_for(run.result.release)]
    for extra in catalogue().extras_for(flow.name):
        view = _extra(run, checked, extra, steps, observation, lines, text)
        names = [s.name for s in steps]
        anchor = next((names.index(a) for a in extra.after if a in names), len(steps) - 1)
        steps.insert(anchor + 1, view)
    return OperationView(
        flow=flow.name, title=text.get("flows", flow.name) or flow.title, instance=instance,
        practised=flow.name in run.practised, status=checked.status, before=_state(checked.before),
        after=_state(checked.after), duration=checked.duration, request_id=checked.operation.request_id,
        steps=steps, deviations=[f"{d.kind}: {d.detail}" for d in checked.deviations])


def _flow_step(flow: str, step: Step, records: list[Record], lines: _Lines, text: Messages) -> StepView:
    flags = tuple(flag for flag, on in (("optional", step.optional), ("async", step.unordered),
                                        ("debug", step.debug), ("end", step.end)) if on)
    view = StepView(step.name, "flow", step.service, text.step(flow, step.name) or step.matcher.describe(),
                    state_text(step.sets), flags, [lines.of_record(r) for r in records])
    if not records:
        view.no_line = text("ui", "optional_not_logged" if step.optional else "not_logged")
    return view


def _extra(run: Run, checked: Checked, extra: Extra, steps: list[StepView], observation: Observation | None,
           lines: _Lines, text: Messages) -> StepView:
    explanation = text("extras", extra.name)
    if extra.kind == "message":
        frame = lines.rows(run.log_dir)
        request = checked.operation.request_id
        rows = frame[(frame.request_id == request) & (frame.event == extra.event)
                     & (frame.service == extra.service)]
        found = [lines.of_row(row) for row in rows.itertuples()
                 if extra.fits_topic(_fields(row).get("topic"))]
        view = StepView(extra.name, "message", extra.service, explanation, lines=found)
        if not found:
            view.no_line = text("ui", "message_not_logged")
        return view
    view = StepView(extra.name, "silent", extra.service, explanation, no_line=text("ui", "no_line"))
    view.proofs = [proof for kind in extra.proofs
                   if (proof := _proof(kind, run, checked, steps, observation, lines, text)) is not None]
    return view


def _step_lines(steps: list[StepView], *names: str) -> list[LogLine]:
    return [line for step in steps if step.name in names for line in step.lines]


def _proof(kind: str, run: Run, checked: Checked, steps: list[StepView], observation: Observation | None,
           lines: _Lines, text: Messages) -> Proof | None:
    if kind == "access_line":
        return Proof(kind, text("proofs", kind), _step_lines(steps, "response"))
    if kind == "instance_action":
        actions = run.actions.get(checked.operation.instance, [])
        action = next((a for a in actions if a.get("request_id") == checked.operation.request_id), None)
        if action is None:
            return Proof(kind, text("proofs", "no_instance_action", style=run.style))
        return Proof(kind, text("proofs", kind, action=action["action"], request=action["request_id"],
                                time=action.get("start_time") or "?"))
    if kind in ("refusal", "accepted"):
        if run.proof is None:
            return None
        frame = lines.rows(run.proof.log_dir)
        answers = frame.fields.fillna("")
        if kind == "refusal":
            rows = frame[(frame.event == "api_refusal")
                         | ((frame.event == "api_request") & answers.str.contains('"status":409'))]
        else:
            last = frame[(frame.event == "api_request") & answers.str.contains('"status":202')
                         & frame.message.str.contains("/action")].tail(1)
            rows = pd.concat([last, frame[frame.event == "pause_start"].tail(1)])
        return Proof(kind, text("proofs", kind, dir=run.proof.log_dir.relative_to(lines.out_dir).as_posix()),
                     [lines.of_row(row) for row in rows.itertuples()])
    if kind == "lifecycle":
        return Proof(kind, text("proofs", kind), [line for step in steps if step.name.startswith("vm_")
                                                   for line in step.lines])
    if kind == "debug_line":
        return Proof(kind, text("proofs", kind), _step_lines(steps, "stopping"))
    if kind == "libvirt_lines":
        return Proof(kind, text("proofs", kind), _step_lines(steps, "destroyed", "rebooted"))
    if observation is None:
        return None
    if kind == "saved_to_disk":
        return Proof(kind, text("proofs", kind, files=", ".join(observation.files) or "-"))
    if kind == "server_status":
        return Proof(kind, text("proofs", kind, status=observation.status, vm_state=observation.vm_state,
                                power_state=observation.power_state))
    raise ValueError(f"unknown proof kind {kind!r} in exercises.yaml")
