"""Flow specs: the documented sequence of each Nova operation, read from data files.

A spec file (`grammars/flows/*.flow`, or a user's `--flows DIR`) holds `flow` blocks
written in the flow language of `grammars/flow.lark`.  Loading goes file -> Lark
tree -> plain dataclasses -> validation; every problem is reported as a FlowError
naming the file, the line and what is wrong.  Event names are checked against the
event catalogue the caller passes in (this module sits below the parser and does
not import it).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from analyzer.errors import InputError
from analyzer.vocab.resources import grammars_dir
from analyzer.vocab.states import NO_TASK, POWER_BY_NAME, POWER_STATES, TASK_STATES, VM_STATES

SERVICES = {"api": "nova-api", "conductor": "nova-conductor", "scheduler": "nova-scheduler",
            "compute": "nova-compute"}
RELEASES = ("2016", "current")
UNCHANGED = "="


class FlowError(InputError):
    """A flow spec is broken; the message names the file, the line and the problem."""


@dataclass(frozen=True)
class Matcher:
    """Event names (any of them) and the field values it must carry (each field: one of a
    set; `*`: any value but none)."""

    events: tuple[str, ...]
    where: tuple[tuple[str, frozenset[str]], ...] = ()

    def describe(self) -> str:
        parts = ["|".join(self.events)]
        parts += [f"{name}={'|'.join(sorted(values))}" for name, values in self.where]
        return " ".join(parts)


@dataclass(frozen=True)
class StateChange:
    """Parts of (vm_state, task_state, power_state) a step sets; None leaves a part alone."""

    vm: str | None = None
    task: str | None = None
    power: str | None = None


@dataclass(frozen=True)
class Step:
    name: str
    service: str  # nova-api, nova-conductor, nova-scheduler, nova-compute
    matcher: Matcher
    line: int
    optional: bool = False
    repeat: bool = False
    unordered: bool = False  # `async`: arrives when the hypervisor says, not in sequence
    debug: bool = False  # logged at DEBUG only: unobservable in an INFO log
    end: bool = False  # seeing it completes the operation
    release: str | None = None  # only in this release's logs
    sets: StateChange | None = None


@dataclass
class Flow:
    name: str
    title: str
    family: str
    path: Path
    line: int
    openers: list[Matcher] = field(default_factory=list)
    opener_lines: list[int] = field(default_factory=list)
    allowed_vm: frozenset[str] | None = None  # None: any
    allowed_task: frozenset[str] | None = None
    lock_checked: bool = True
    ends: StateChange | None = None
    # the next operation the API accepts on the instance proves this one ended, when its
    # own end step may never be logged (suspend: Nova drops the delayed VM Stopped when the
    # guest starts again within 15 s)
    ended_by_next: bool = False
    steps: list[Step] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def steps_for(self, release: str) -> list[Step]:
        """The steps a log of `release` shows."""
        return [s for s in self.steps if s.release in (None, release)]


@lru_cache(maxsize=1)
def _parser() -> Lark:
    path = grammars_dir() / "flow.lark"
    return Lark(path.read_text(encoding="utf-8"), parser="lalr", propagate_positions=True,
                maybe_placeholders=True)


def load_flows(directory: Path | None, known_events: Iterable[str]) -> list[Flow]:
    """Every flow of `directory`'s `*.flow` files (default: grammars/flows), validated."""
    directory = directory if directory is not None else grammars_dir() / "flows"
    if not directory.is_dir():
        raise FlowError(f"{directory}: no such directory of flow specs")
    files = sorted(directory.glob("*.flow"))
    if not files:
        raise FlowError(f"{directory}: no *.flow files")
    known = frozenset(known_events)
    try:
        stamp = tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)
    except OSError as exc:
        raise FlowError(f"{directory}: cannot read flow specs ({exc})") from None
    cached = _LOADED.get((stamp, known))
    if cached is not None:
        return list(cached)
    flows: list[Flow] = []
    seen: dict[str, Flow] = {}
    for path in files:
        for flow in parse_flow_file(path, known):
            if flow.name in seen:
                raise FlowError(f"{flow.where}: flow '{flow.name}' is already defined at "
                                f"{seen[flow.name].where}")
            seen[flow.name] = flow
            flows.append(flow)
    _LOADED[(stamp, known)] = tuple(flows)
    return flows


# Specs already read in this process, by file names, times and sizes (a check in a loop,
# a test suite, a report after a check read them once).
_LOADED: dict[tuple[object, ...], tuple[Flow, ...]] = {}


def parse_flow_file(path: Path, known_events: frozenset[str]) -> list[Flow]:
    """The flows of one file; raises FlowError with file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FlowError(f"{path}: cannot read flow spec ({exc})") from None
    try:
        tree = _parser().parse(text + "\n")
    except UnexpectedInput as exc:
        raise FlowError(f"{path}:{exc.line}:{exc.column}: {_syntax_problem(exc)}") from None
    return [_validate(_build(node, path), known_events) for node in tree.children
            if isinstance(node, Tree)]


def _syntax_problem(exc: UnexpectedInput) -> str:
    if isinstance(exc, UnexpectedToken):
        expected = sorted(name for name in exc.expected if not name.startswith("__"))
        got = exc.token.value if exc.token.type != "$END" else "end of file"
        return f"syntax error at {got!r}; expected one of {', '.join(expected)}"
    if isinstance(exc, UnexpectedCharacters):
        return f"syntax error: unexpected character {exc.char!r}"
    return "syntax error"


# ----------------------------------------------------------------------------- building


def _build(node: Tree, path: Path) -> Flow:
    name_token, title_token, *clauses = node.children
    flow = Flow(name=str(name_token), title=_unquote(title_token) if title_token else str(name_token),
                family=str(name_token), path=path, line=name_token.line)
    for clause in clauses:
        if not isinstance(clause, Tree):
            continue
        kind = clause.data
        line = clause.meta.line
        if kind == "family":
            flow.family = str(clause.children[0])
        elif kind == "opened":
            flow.openers.append(_matcher(clause.children[0]))
            flow.opener_lines.append(line)
        elif kind == "allowed":
            state_kind, *values = clause.children
            allowed = frozenset(_text(v) for v in values)
            _check_states(path, line, str(state_kind), allowed)
            if "any" in allowed:
                continue
            if str(state_kind) == "vm_state":
                flow.allowed_vm = allowed
            elif str(state_kind) == "task_state":
                flow.allowed_task = allowed
            else:
                raise FlowError(f"{path}:{line}: 'allowed power_state' is not checked by Nova's API;"
                                " use vm_state and task_state")
        elif kind == "lock_checked":
            flow.lock_checked = str(clause.children[0]) == "yes"
        elif kind == "ends":
            flow.ends = _states(clause.children[0], path, line)
        elif kind == "ended_by_next":
            flow.ended_by_next = True
        elif kind == "step":
            flow.steps.append(_step(clause, path))
    return flow


def _step(node: Tree, path: Path) -> Step:
    name, service, matcher, *rest = node.children
    flags: dict[str, object] = {}
    sets = None
    for item in rest:
        if item is None:
            continue
        if item.data == "flag":
            token = item.children[0]
            if token.type == "ONLY":
                flags["release"] = str(item.children[1])
            else:
                flags[{"ASYNC": "unordered"}.get(token.type, token.type.lower())] = True
        elif item.data == "transition":
            sets = _states(item.children[0], path, node.meta.line)
    return Step(name=str(name), service=SERVICES[str(service)], matcher=_matcher(matcher),
                line=node.meta.line, sets=sets, **flags)  # type: ignore[arg-type]


def _matcher(node: Tree) -> Matcher:
    events, *predicates = node.children
    where = []
    for predicate in predicates:
        field_name, choice = predicate.children
        where.append((str(field_name), frozenset(_text(v) for v in choice.children)))
    return Matcher(tuple(str(e) for e in events.children), tuple(where))


def _states(node: Tree, path: Path, line: int) -> StateChange:
    vm, task, power = (_text(v) for v in node.children)
    _check_states(path, line, "vm_state", {vm} - {UNCHANGED})
    _check_states(path, line, "task_state", {task} - {UNCHANGED})
    _check_states(path, line, "power_state", {power} - {UNCHANGED})
    keep = {UNCHANGED, "*"}
    power_value = None if power in keep else (POWER_STATES[int(power)] if power.isdigit() else power)
    return StateChange(None if vm in keep else vm, None if task in keep else task, power_value)


def _check_states(path: Path, line: int, kind: str, values: set[str] | frozenset[str]) -> None:
    vocabulary = {"vm_state": VM_STATES, "task_state": TASK_STATES | {NO_TASK},
                  "power_state": set(POWER_BY_NAME) | {str(n) for n in POWER_STATES}}[kind]
    for value in values:
        if value in vocabulary or value in ("any", "*"):
            continue
        hint = difflib.get_close_matches(value, sorted(vocabulary), n=1)
        suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
        raise FlowError(f"{path}:{line}: unknown {kind} '{value}'{suggestion}")


def _text(value: Token | str) -> str:
    text = str(value)
    return _unquote(text) if text.startswith('"') else text


def _unquote(token: Token | str) -> str:
    text = str(token)
    return text[1:-1].replace('\\"', '"').replace("\\\\", "\\") if text.startswith('"') else text


# ----------------------------------------------------------------------------- validation


def _validate(flow: Flow, known_events: frozenset[str]) -> Flow:
    where = flow.path
    if not flow.openers:
        raise FlowError(f"{flow.where}: flow '{flow.name}' has no 'opened by' line: nothing would "
                        "start this operation")
    if not flow.steps:
        raise FlowError(f"{flow.where}: flow '{flow.name}' has no steps")
    names: dict[str, int] = {}
    for step in flow.steps:
        if step.name in names:
            raise FlowError(f"{where}:{step.line}: step '{step.name}' is already defined at line "
                            f"{names[step.name]}")
        names[step.name] = step.line
    for release in RELEASES:
        steps = flow.steps_for(release)
        if not any(step.end for step in steps):
            raise FlowError(f"{flow.where}: flow '{flow.name}' has no step marked 'end' for release "
                            f"{release}: nothing would complete it")
    matchers = list(zip(flow.openers, flow.opener_lines, strict=True))
    matchers += [(s.matcher, s.line) for s in flow.steps]
    for matcher, line in matchers:
        for event in matcher.events:
            if event in known_events:
                continue
            hint = difflib.get_close_matches(event, sorted(known_events), n=1)
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
            raise FlowError(f"{where}:{line}: unknown event '{event}'{suggestion}; events are "
                            "the rules of grammars/events_*.lark and traceback, error, warning")
    return flow
