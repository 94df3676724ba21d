"""Checks each operation against its flow and rebuilds each instance's states.

Per operation: its records are matched to the flow's steps in time order (a record
takes the first unmatched step at or after the furthest ordered step matched so far;
`async` steps may come any time), which yields `out_of_order`, then `missing_step`
(a required step not seen although its service's log, at its level, is in the input),
`unexpected_step` (a step of another flow), `error`, `illegal_state` and `incomplete`.

Per instance: operations and observations (lifecycle events, sync_power_state lines,
`Setting instance vm_state to ERROR` …) are walked in time order; each step's
`-> (vm, task, power)` and the flow's `ends` move the (vm_state, task_state,
power_state) the next operation is admitted from.  Lifecycle events only ever change
the power state: the VM Paused / VM Resumed pair of a libvirt boot is not a pause.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from typing import Any

from analyzer.lifecycle import deviations as dv
from analyzer.lifecycle.correlate import Operation
from analyzer.lifecycle.matching import FlowIndex
from analyzer.lifecycle.records import InputFacts, Record
from analyzer.lifecycle.verdicts import Shape, Verdict, Verdicts
from analyzer.vocab.events import TRACEBACK
from analyzer.vocab.flows import Flow, StateChange, Step
from analyzer.vocab.states import LIFECYCLE_POWER, NO_TASK, InstanceState, power_name

OK, DEVIATION, FAILED, INCOMPLETE = "ok", "deviation", "failed", "incomplete"
# An operation whose first line comes within this many seconds of its log file's first
# line may have begun before the log did: its missing earlier steps are not deviations.
LOG_START_GRACE = 300.0
# A request's own API lines: never an unexpected step of the operation it asked for.
API_OWN_EVENTS = frozenset({"api_request", "api_action", "api_call", "api_going_to", "api_going_to_run"})


@dataclass(slots=True)
class StepSeen:
    step: Step
    record: Record
    duration: float | None  # seconds since the step before it (None for the first)


class Checked:
    """The verdict on one operation.

    An operation of a shape checked before takes that operation's `Verdict`; its steps
    and state changes are then made from the verdict when first asked for (most of a large
    log's operations are only counted and timed, never shown step by step).
    """

    __slots__ = ("operation", "_steps", "deviations", "complete", "refused", "begins_before_log",
                 "before", "after", "_transitions", "verdict")

    def __init__(self, operation: Operation, steps: list[StepSeen] | None = None,
                 deviations: list[dv.Deviation] | None = None, complete: bool = False,
                 refused: bool = False, begins_before_log: bool = False,
                 before: InstanceState | None = None, after: InstanceState | None = None,
                 transitions: list[Transition] | None = None, verdict: Verdict | None = None) -> None:
        self.operation = operation
        self._steps = steps if steps is not None or verdict is not None else []
        self.deviations = deviations if deviations is not None else []
        self.complete = complete
        self.refused = refused
        self.begins_before_log = begins_before_log  # its first steps would predate the log
        self.before = before if before is not None else InstanceState()
        self.after = after if after is not None else InstanceState()
        self._transitions = transitions if transitions is not None or verdict is not None else []
        self.verdict = verdict  # the verdict it took from an operation of the same shape

    @property
    def steps(self) -> list[StepSeen]:
        steps = self._steps
        if steps is None:
            assert self.verdict is not None
            steps = self._steps = self.verdict.steps_of(self.operation)
        return steps

    @steps.setter
    def steps(self, steps: list[StepSeen]) -> None:
        self._steps = steps

    @property
    def transitions(self) -> list[Transition]:
        transitions = self._transitions
        if transitions is None:
            assert self.verdict is not None
            transitions = self._transitions = self.verdict.transitions_of(self.operation)
        return transitions

    @transitions.setter
    def transitions(self, transitions: list[Transition]) -> None:
        self._transitions = transitions

    def step_record(self, position: int) -> Record:
        """The line of its step at `position` (negative counts from the end), steps unmade."""
        if self._steps is None and self.verdict is not None:
            return self.operation.records[self.verdict.step_lines[position]]
        return self.steps[position].record

    @property
    def step_count(self) -> int:
        if self._steps is None and self.verdict is not None:
            return len(self.verdict.step_lines)
        return len(self.steps)

    @property
    def flow(self) -> Flow:
        return self.operation.flow

    @property
    def start(self) -> float:
        return self.operation.start

    @property
    def end(self) -> float | None:
        return self.step_record(-1).seconds if self.complete and self.step_count else None

    @property
    def duration(self) -> float | None:
        end = self.end
        return end - self.start if end is not None and not self.begins_before_log else None

    @property
    def status(self) -> str:
        if not self.deviations:  # the common case, without the set of kinds
            if self.refused or self.after.vm == "error":
                return FAILED
            return OK if self.complete else INCOMPLETE
        kinds = {d.kind for d in self.deviations}
        if self.refused or (dv.ERROR in kinds and not self.complete) or self.after.vm == "error":
            return FAILED
        if not self.complete:
            return INCOMPLETE
        return DEVIATION if self.deviations else OK


@dataclass(slots=True)
class Transition:
    time: float | None
    state: InstanceState
    cause: str
    evidence: Record | None = None


class InstanceStory:
    """One instance's checked operations and its changes of state, in time order.

    `Checker.story` gives it its parts in the order they happen: observed changes and
    operations whose changes are made when first read (a summary never reads them).
    """

    def __init__(self, instance: str, checked: list[Checked] | None = None,
                 transitions: list[Transition] | None = None) -> None:
        self.instance = instance
        self.checked = checked if checked is not None else []
        self._transitions = transitions if transitions is not None else []
        self._parts: list[Transition | Checked] = []  # to add to the transitions, when read

    @property
    def transitions(self) -> list[Transition]:
        if self._parts:
            made = self._transitions
            for part in self._parts:
                if isinstance(part, Transition):
                    made.append(part)
                else:
                    made += part.transitions
            self._parts = []
            made.sort(key=_transition_time)  # stable: equal times stay in the order they came
        return self._transitions

    @transitions.setter
    def transitions(self, transitions: list[Transition]) -> None:
        self._parts = []
        self._transitions = transitions

    def add(self, part: Transition | Checked) -> None:
        """A change of state, or an operation's changes (its `transitions` when read)."""
        self._parts.append(part)

    def readd(self, checked: Checked) -> None:
        """`checked`'s changes again, now, its earlier ones dropped (they have changed)."""
        self._parts = [part for part in self._parts if part is not checked]
        self._parts.append(checked)

    @property
    def final_state(self) -> InstanceState:
        transitions = self.transitions
        return transitions[-1].state if transitions else InstanceState()


def _transition_time(transition: Transition) -> float:
    return transition.time if transition.time is not None else float("-inf")


class Checker:
    """Checks operations for one input: its release, what it logs, every flow's steps."""

    def __init__(self, index: FlowIndex, facts: InputFacts) -> None:
        self.index = index
        self.facts = facts
        self.release = index.release
        self._logged: dict[tuple[str, bool], bool] = {}
        self.verdicts = Verdicts()

    def _logs(self, step: Step) -> bool:
        """Whether the input could show `step` (its service's log, at its level, is there)."""
        key = (step.service, step.debug)
        known = self._logged.get(key)
        if known is None:
            known = self._logged[key] = self.facts.logs(step.service, step.debug)
        return known

    # ------------------------------------------------------------------ one instance

    def story(self, instance: str, operations: list[Operation], observations: list[Record]) -> InstanceStory:
        """Walk the instance's operations and observations in time order.

        An operation is admitted against the state at its first record and its result
        takes effect at its last one; observations in between show the way there.  An
        operation that begins while others are still going is admitted against what they
        had logged by then (Nova saves a boot's `active` before its last line).
        """
        story = InstanceStory(instance)
        state = InstanceState()
        # (time, rank, order, item): rank 0 = an operation's end, 1 = observation, 2 = start
        items: list[tuple[float, int, int, Any]] = []
        for operation in operations:
            items.append((operation.start, 2, operation.records[0].order, operation))
        for record in observations:
            items.append((record.t, 1, record.order, record))
        items.sort(key=_WHEN)
        pending: list[tuple[float, int, int, Checked]] = []  # a heap: operations begun, not yet ended
        host: str | None | object = _UNKNOWN  # the compute host the instance runs on
        position = 0
        changed_at = float("-inf")  # when `state` last changed
        waiting: Checked | None = None  # unfinished, ended by the next accepted operation
        while position < len(items) or pending:
            if pending and (position >= len(items) or pending[0][0] < items[position][0]):
                moment, _, _, checked = heapq.heappop(pending)
                story.add(checked)
                state = checked.after
                changed_at = moment
                host = _host_after(checked, host)
                continue
            _, rank, _, item = items[position]
            position += 1
            if rank == 1:  # an observation (a Record); else an Operation
                if not _applies(state, item, host):
                    continue
                changed = observe(state, item)
                if changed is not state:
                    state = changed
                    changed_at = item.t
                    story.add(Transition(item.seconds, state, f"observed: {item.message}", item))
                continue
            if waiting is not None and _accepted(item):
                state = self._ended_by_next(waiting, story, pending, state)
                changed_at = item.start
            waiting = None
            if pending:
                state = _as_of(state, changed_at, pending, item.start)
            checked = self.check(item, state)
            story.checked.append(checked)
            if checked.flow.ended_by_next and not checked.complete and not checked.refused:
                waiting = checked
            if checked.step_count and not checked.refused:  # its first state change shows from its start
                first = checked.verdict.steps[0] if checked.verdict else checked.steps[0].step
                state = _apply(observe(state, checked.step_record(0)), first.sets)
                changed_at = item.start
            heapq.heappush(pending, (item.last, item.records[-1].order, len(story.checked), checked))
        return story

    def _ended_by_next(self, checked: Checked, story: InstanceStory,
                       pending: list[tuple[float, int, int, Checked]], state: InstanceState) -> InstanceState:
        """`checked` ended before the operation the API has just accepted: complete it.

        Returns the instance's state from now on: its end state if it is over already (its
        state change replaces the unfinished one), else `state` (it applies when it ends).
        """
        checked.complete = True
        checked.deviations = [d for d in checked.deviations if d.kind != dv.INCOMPLETE]
        checked.after, checked.transitions = self._after(checked)
        if any(entry[3] is checked for entry in pending):
            return state
        story.readd(checked)
        return checked.after

    # ------------------------------------------------------------------ one operation

    def check(self, operation: Operation, before: InstanceState) -> Checked:
        """The verdict on `operation`, admitted from `before` (reused for a known shape)."""
        shape = self._shape(operation, before)
        verdict = self.verdicts.get(shape)
        if verdict is not None:
            return verdict.checked(operation, before)
        checked = self._check(operation, before)
        self.verdicts.keep(shape, checked)
        return checked

    def _shape(self, operation: Operation, before: InstanceState) -> Shape | None:
        """What the verdict on `operation` depends on; None when it quotes its lines."""
        lines = tuple(map(_SHAPE, operation.records))
        if None in lines:
            return None
        return (operation.flow.name, before, self._near_log_start(operation.records[0]), lines)

    def _check(self, operation: Operation, before: InstanceState) -> Checked:
        checked = Checked(operation, before=before)
        flow = operation.flow
        flow_steps = self.index.of(flow)
        steps = flow_steps.steps
        self._admission(checked)
        matched: dict[int, Record] = {}
        cursor = -1
        previous: Record | None = None
        refusals: list[Record] = []
        for record in operation.records:
            if record.event in _API_ANSWERS:
                if _refusal(record):
                    checked.refused = True
                    refusals.append(record)
                    continue
                if record.event == "api_request" and _status(record) >= 400:
                    checked.refused = True  # rejected: nothing more will happen; _problems says why
            found = flow_steps.matching(record)
            if not found:
                self._stray(checked, record)
                continue
            only = found[0]
            if len(found) == 1 and only not in matched and (only > cursor or steps[only].unordered):
                index: int | None = only  # the common case, decided without _choose
            else:
                index = self._choose(steps, found, matched, cursor)
            if index is None:
                continue  # a step seen again: the first sighting stands
            step = steps[index]
            if not step.unordered and index < cursor and index not in matched:
                after = steps[cursor]
                checked.deviations.append(dv.Deviation(
                    dv.OUT_OF_ORDER,
                    f"step '{step.name}' came after '{after.name}'; the flow has it before",
                    [matched[cursor], record], step.name))
            if index not in matched:
                matched[index] = record
            if not step.unordered and index > cursor:
                cursor = index
            duration = (record.t - previous.t) if previous is not None else None
            checked.steps.append(StepSeen(step, record, duration))
            previous = record
            if step.end:
                checked.complete = True
        if refusals:
            self._refused(checked, refusals)
        self._complete_unobservable(checked, steps)
        if not checked.refused:
            self._missing(checked, steps, matched, cursor)
        self._problems(checked)
        checked.after, checked.transitions = self._after(checked)
        if checked.after.vm == "error" and not any(d.kind == dv.ERROR for d in checked.deviations):
            checked.deviations.append(dv.Deviation(dv.ERROR, "the instance ended in vm_state error", []))
        return checked

    def _choose(self, steps: list[Step], found: list[int], matched: dict[int, Record],
                cursor: int) -> int | None:
        fresh = [i for i in found if i not in matched and (steps[i].unordered or i > cursor)]
        if fresh:
            return min(fresh)
        again = [i for i in found if steps[i].repeat and i in matched]
        if again:
            return max(again)
        late = [i for i in found if i not in matched]
        return min(late) if late else None

    def _admission(self, checked: Checked) -> None:
        flow, state = checked.flow, checked.before
        if flow.allowed_vm is not None and state.vm is not None and state.vm not in flow.allowed_vm:
            checked.deviations.append(dv.Deviation(
                dv.ILLEGAL_STATE,
                f"{flow.name} while vm_state is {state.vm}; Nova allows it from "
                f"{', '.join(sorted(flow.allowed_vm))}", [checked.operation.records[0]]))
        elif (flow.allowed_task is not None and state.task is not None
              and state.task not in flow.allowed_task):
            checked.deviations.append(dv.Deviation(
                dv.ILLEGAL_STATE,
                f"{flow.name} while task_state is {state.task}; Nova allows it with "
                f"{', '.join(sorted(flow.allowed_task))}", [checked.operation.records[0]]))

    def _refused(self, checked: Checked, refusals: list[Record]) -> None:
        """One illegal_state for a 409: the admission check's, if it predicted it, with the proof."""
        evidence = list(refusals)
        reason = next((r.message for r in refusals if r.event == "api_refusal"), _refusal_text(refusals[0]))
        for deviation in checked.deviations:
            if deviation.kind == dv.ILLEGAL_STATE:
                deviation.detail += f"; the API refused it: {reason}"
                deviation.evidence += [e for e in evidence if not any(e is d for d in deviation.evidence)]
                return
        checked.deviations.append(dv.Deviation(
            dv.ILLEGAL_STATE, f"the API refused {checked.flow.name}: {reason}", evidence))

    def _stray(self, checked: Checked, record: Record) -> None:
        """A record of the operation that is none of its steps."""
        if record.is_problem or record.event in ("lifecycle",):
            return  # problems are reported by _problems; lifecycle events are observations
        if self.index.is_step_anywhere(record):
            checked.deviations.append(dv.Deviation(
                dv.UNEXPECTED_STEP, f"'{record.event}' is not a step of {checked.flow.name}",
                [record]))

    def _complete_unobservable(self, checked: Checked, steps: list[Step]) -> None:
        """An operation whose end steps this input cannot show counts as complete."""
        if checked.complete:
            return
        ends = [s for s in steps if s.end]
        if ends and not any(self._logs(s) for s in ends):
            checked.complete = bool(checked.steps)

    def _missing(self, checked: Checked, steps: list[Step], matched: dict[int, Record], cursor: int) -> None:
        if not checked.complete:
            last = checked.steps[-1].record if checked.steps else None
            checked.deviations.append(dv.Deviation(
                dv.INCOMPLETE, f"{checked.flow.name} started and never finished within the log",
                [last] if last else []))
        first = min((i for i in matched if not steps[i].unordered), default=cursor)
        leading = [i for i in range(max(first, 0)) if i not in matched and not steps[i].optional
                   and not steps[i].unordered and self._logs(steps[i])]
        checked.begins_before_log = bool(leading) and self._near_log_start(checked.operation.records[0])
        for index, step in enumerate(steps):
            if index in matched or step.optional or not self._logs(step):
                continue
            if checked.begins_before_log and (step.unordered or index < first):
                continue  # may have been logged before the input begins
            if not checked.complete and (step.unordered or index > cursor):
                continue  # not reached yet: the operation is incomplete, said above
            checked.deviations.append(dv.Deviation(
                dv.MISSING_STEP, f"step '{step.name}' ({step.matcher.describe()} on {step.service}) "
                f"was not logged", _neighbours(checked, index, steps), step.name))

    def _near_log_start(self, record: Record) -> bool:
        """Whether `record` comes so soon after its file starts that earlier steps may predate it."""
        start = self.facts.starts.get(record.source)
        return start is not None and record.t != _NO_TIME and record.t - start <= LOG_START_GRACE

    def _problems(self, checked: Checked) -> None:
        for record in checked.operation.records:
            if record.is_problem:
                what = record.fields.get("exc_type") if record.event == TRACEBACK else None
                detail = f"{record.level or 'ERROR'} line: {record.message}" if not what else \
                    f"traceback: {what}: {record.fields.get('exc_message', '')}"
                checked.deviations.append(dv.Deviation(dv.ERROR, detail[:300], [record]))
            elif record.event == "api_request" and _status(record) >= 400 and _status(record) != 409:
                checked.deviations.append(dv.Deviation(
                    dv.ERROR, f"the API answered {_status(record)}", [record]))

    def _after(self, checked: Checked) -> tuple[InstanceState, list[Transition]]:
        """The state the operation leaves, and its changes of state on the way."""
        if checked.refused:
            return checked.before, []  # the API turned it down: nothing changed
        name = checked.flow.name
        state = checked.before
        transitions: list[Transition] = []
        # steps after the end that set states act once the operation has ended (a rebuild
        # of a stopped instance ends active, then Nova brings it back to stopped)
        ended = False
        after_end: list[StepSeen] = []
        for seen in checked.steps:
            if ended and seen.step.sets is not None:
                after_end.append(seen)
                continue
            ended = ended or seen.step.end
            if seen.step.sets is None and seen.record.event not in _STATE_EVENTS:
                continue
            new = _apply(observe(state, seen.record), seen.step.sets)
            if new is not state and new != state:
                transitions.append(Transition(seen.record.seconds, new, f"{name}: {seen.step.name}",
                                              seen.record))
            state = new
        stepped = {id(seen.record) for seen in checked.steps}
        for record in checked.operation.records:
            if record.event in _STATE_EVENTS and id(record) not in stepped:
                state = observe(state, record)
        if checked.complete:
            state = _apply(state, checked.flow.ends)
        elif any(d.kind == dv.ERROR for d in checked.deviations) and state.task not in (None, NO_TASK):
            state = state.with_changes(None, NO_TASK, None)  # @reverts_task_state on the exception
        last_state = transitions[-1].state if transitions else checked.before
        if state != last_state:
            before_tail = [seen for seen in checked.steps if not any(seen is t for t in after_end)]
            last = before_tail[-1].record if before_tail else checked.operation.records[0]
            outcome = "ends" if checked.complete else "stops"
            transitions.append(Transition(last.seconds, state, f"{name}: {outcome}", last))
        for seen in after_end:
            new = _apply(observe(state, seen.record), seen.step.sets)
            if new != state:
                transitions.append(Transition(seen.record.seconds, new, f"{name}: {seen.step.name}",
                                              seen.record))
            state = new
        return state, transitions


_API_ANSWERS = frozenset({"api_refusal", "api_request"})
_SHAPE = attrgetter("shape")
_WHEN = itemgetter(0, 1, 2)  # (time, rank, order) of a story's item
_STATE_EVENTS = frozenset({"lifecycle", "sync_pending_task", "sync_power_mismatch", "set_instance_state",
                           "set_error_state", "shutdown_by_itself", "task_reverted"})


def observe(state: InstanceState, record: Record) -> InstanceState:
    """What a record says about the instance's state (only observations change it)."""
    if record.event not in _STATE_EVENTS:
        return state
    change = change_of(record)
    return state.with_changes(*change) if change is not None else state


def change_of(record: Record) -> tuple[str | None, str | None, str | None] | None:
    """The (vm, task, power) parts an observation sets (None: parts it leaves, or no change)."""
    event = record.event
    if event not in _STATE_EVENTS:
        return None
    fields = record.fields
    if event == "lifecycle":
        return (None, None, LIFECYCLE_POWER.get(str(fields.get("state", ""))))
    if event == "sync_pending_task" and fields.get("task_state"):
        return (None, str(fields["task_state"]), None)
    if event == "sync_power_mismatch":
        return (None, None, power_name(fields.get("vm_power_state")))
    if event == "set_instance_state" and fields.get("vm_state"):
        return (str(fields["vm_state"]).lower(), NO_TASK, None)
    if event == "set_error_state":
        return ("error", None, None)
    if event == "shutdown_by_itself":
        return (None, None, "shutdown")
    if event == "task_reverted":
        return (None, NO_TASK, None)
    return None


_UNKNOWN = object()
_NO_TIME = float("-inf")  # a record without a time (records.Record.t)


def _as_of(state: InstanceState, changed_at: float, pending: list[tuple[float, int, int, Checked]],
           moment: float) -> InstanceState:
    """The state at `moment`: the latest change that operations still going logged by then, if
    it came after `state` (which holds since `changed_at`)."""
    latest: Transition | None = None
    for _, _, _, checked in pending:
        for transition in checked.transitions:
            when = transition.time
            if when is not None and changed_at < when <= moment and (latest is None or when > latest.time):
                latest = transition
    return latest.state if latest is not None else state


def _applies(state: InstanceState, record: Record, host: str | None | object) -> bool:
    """Whether an observation says something about the instance as it is now.

    A deleted instance has no domain left: the `VM Stopped` Nova delivers 15 s after a
    delete changes nothing.  Nor does an event from a host the instance has left (the
    source of a live migration).
    """
    if state.vm == "deleted":
        return False
    return record.event != "lifecycle" or host is _UNKNOWN or record.host == host


def _host_after(checked: Checked, host: str | None | object) -> str | None | object:
    """The compute host the instance runs on once the operation is over."""
    compute: str | None | object = host
    for record in checked.operation.records:
        if record.event == "live_migration_done" and record.fields.get("dest_host"):
            return str(record.fields["dest_host"])
        if record.service == "nova-compute":
            compute = record.host
    return compute


def _apply(state: InstanceState, change: StateChange | None) -> InstanceState:
    if change is None:
        return state
    return state.with_changes(change.vm, change.task, change.power)


def _accepted(operation: Operation) -> bool:
    """The API took the operation: no 409 and no error status among its answers."""
    for record in operation.records:
        if record.event in _API_ANSWERS and (_refusal(record) or (
                record.event == "api_request" and _status(record) >= 400)):
            return False
    return True


def _refusal(record: Record) -> bool:
    return record.event == "api_refusal" or (record.event == "api_request" and _status(record) == 409)


def _refusal_text(record: Record) -> str:
    if record.event == "api_refusal":
        return record.message
    return f"HTTP 409 for {record.fields.get('http_method', '')} {record.fields.get('url_path', '')}"


def _status(record: Record) -> int:
    value = record.fields.get("status")
    try:
        return int(value) if value is not None else 0  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0


def _neighbours(checked: Checked, index: int, steps: list[Step]) -> list[Record]:
    """Evidence for a missing step: the steps seen just before and after where it belongs."""
    before = [s for s in checked.steps if steps.index(s.step) < index]
    after = [s for s in checked.steps if steps.index(s.step) > index]
    out = []
    if before:
        out.append(before[-1].record)
    if after:
        out.append(after[0].record)
    return out

