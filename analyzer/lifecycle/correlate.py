"""Parsed records -> operations on instances.

A request id ties nova-api, conductor, scheduler and compute lines together (the context
travels with the RPC message), so an operation starts as the records of one request on
one instance: those naming the instance, plus those of the request that name none (the
`POST /servers` access line, `qemu-img` command lines, scheduler lines).  A group becomes
an operation when it holds a line that opens a flow (`opened by`); when several flows
could open it, the flow matching most of the group's steps wins (soft vs hard reboot,
cold vs live snapshot).

Lines without a request id (`Instance spawned successfully.`, `Instance destroyed
successfully.`, lifecycle events, which Nova logs outside the request's context) are
then placed by instance and time: into the latest operation still open on that instance
whose flow has such a step; otherwise they are observations of the instance's state.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from operator import attrgetter

from analyzer.lifecycle.matching import FlowIndex, FlowSteps
from analyzer.lifecycle.records import Record
from analyzer.vocab.flows import Flow

# A request naming more instances than this is a periodic task's or the lifecycle event
# handler's context, not a user's request: its lines without an instance are not attached.
MAX_INSTANCES_PER_REQUEST = 16

# Lines only a user's request has: a request group holding one is never placed by time.
USER_REQUEST_EVENTS = frozenset({"api_request", "api_action", "api_call"})

# How long after an operation's last line a `pending task` sync line may still be its own.
PENDING_TASK_GRACE = 60.0


@dataclass
class Operation:
    """One operation on one instance: the flow it follows and the records that show it."""

    flow: Flow
    instance: str
    request_id: str | None
    records: list[Record]  # in time order
    ends_at: float | None = None  # time of the first record that is an `end` step
    attached: list[Record] = field(default_factory=list)  # placed by time, no request id
    start: float = 0.0
    last: float = 0.0
    steps: FlowSteps | None = None  # the flow's steps for the input's release (set by correlate)

    def __post_init__(self) -> None:
        self.start = self.records[0].t
        self.last = self.records[-1].t  # records come sorted by time


@dataclass
class Correlation:
    operations: list[Operation]
    observations: dict[str, list[Record]]  # instance -> records outside any operation


def correlate(records: list[Record], index: FlowIndex) -> Correlation:
    """Group `records` into operations per instance (see the module docstring)."""
    by_request: dict[str, set[str]] = defaultdict(set)
    groups: dict[tuple[str, str], list[Record]] = defaultdict(list)
    loose: dict[str, list[Record]] = defaultdict(list)
    unnamed: list[Record] = []  # a request's lines that name no instance
    for record in records:
        request_id, instance = record.request_id, record.instance
        if request_id is None:
            if instance:
                loose[instance].append(record)
        elif instance:
            by_request[request_id].add(instance)
            groups[(instance, request_id)].append(record)
        else:
            unnamed.append(record)
    for record in unnamed:
        instances = by_request.get(record.request_id, ())  # type: ignore[arg-type]
        if len(instances) <= MAX_INSTANCES_PER_REQUEST:
            for instance in instances:
                groups[(instance, record.request_id)].append(record)  # type: ignore[index]

    operations: list[Operation] = []
    openers = index.openers
    # a request's flow, and which of its lines ends it, depend on the lines' shapes (event,
    # matchers met) and services only: worked out once per distinct group
    chosen: dict[tuple[tuple[object, ...], tuple[str, ...]], tuple[Flow | None, int | None]] = {}
    for (instance, request_id), members in groups.items():
        if len(members) == 1 and members[0].event not in openers:  # a periodic task's line, mostly
            if members[0].event not in USER_REQUEST_EVENTS:
                loose[instance].append(members[0])
            continue
        members.sort(key=_position)
        shapes = tuple(map(_SHAPE, members))
        if None in shapes:
            flow, end = _flow_and_end(members, index)
        else:
            key = (shapes, tuple(map(_SERVICE, members)))
            found = chosen.get(key)
            if found is None:
                found = chosen[key] = _flow_and_end(members, index)
            flow, end = found
        if flow is None:
            if not any(r.event in USER_REQUEST_EVENTS for r in members):
                # a background context (lifecycle event handler, periodic task): its lines
                # are placed by time; a user's request that opens no flow is left out
                loose[instance].extend(r for r in members if r.instance)
            continue
        operation = Operation(flow, instance, request_id, members, steps=index.of(flow))
        operation.ends_at = members[end].t if end is not None else None
        operations.append(operation)

    observations = _place_loose(operations, loose, index)
    return Correlation(operations, observations)


def choose_flow(members: list[Record], index: FlowIndex) -> Flow | None:
    """The flow a request's records follow, or None when none of them opens a flow."""
    openers = index.openers
    opening = [record for record in members if record.event in openers]
    if not opening:
        return None
    candidates: list[Flow] = []
    by_api: list[Flow] = []  # what the user asked for, when the API says it, outranks compute anchors
    for record in opening:
        for flow in index.opened(record):
            if flow not in candidates:
                candidates.append(flow)
            if record.service == "nova-api" and flow not in by_api:
                by_api.append(flow)
    if by_api:
        candidates = by_api
    if len(candidates) <= 1:
        return candidates[0] if candidates else None

    def score(flow: Flow) -> int:
        steps = index.of(flow)
        return len({i for r in members for i in steps.matching(r)})

    order = {flow.name: position for position, flow in enumerate(index.flows)}
    candidates.sort(key=lambda flow: order[flow.name])
    return max(candidates, key=score)  # max keeps the first of equals: file order


def _place_loose(operations: list[Operation], loose: dict[str, list[Record]],
                 index: FlowIndex) -> dict[str, list[Record]]:
    per_instance: dict[str, list[Operation]] = defaultdict(list)
    for operation in operations:
        per_instance[operation.instance].append(operation)
    starts: dict[str, list[float]] = {}
    for instance, ops in per_instance.items():
        ops.sort(key=_start)
        starts[instance] = [operation.start for operation in ops]

    observations: dict[str, list[Record]] = defaultdict(list)
    for instance, records in loose.items():
        records.sort(key=_position)
        ops = per_instance.get(instance)
        if not ops:  # no operation to place them in: all observations
            observations[instance].extend(records)
            continue
        begun = starts[instance]
        for record in records:
            target = _open_operation(ops, begun, record, index)
            if target is None:
                observations[instance].append(record)
                continue
            target.attached.append(record)
            if record.t > target.last:
                target.last = record.t
            if target.ends_at is None and (target.steps or index.of(target.flow)).is_end(record):
                target.ends_at = record.t
    for operation in operations:
        if operation.attached:
            operation.records = sorted(operation.records + operation.attached, key=_position)
    return observations


def _open_operation(ops: list[Operation], starts: list[float], record: Record,
                    index: FlowIndex) -> Operation | None:
    """The latest operation open at the record's time that has a step (or problem) like it.

    `ops` are the instance's operations by start time, `starts` their start times.
    """
    moment = record.t
    if record.event == "sync_pending_task":
        return _task_owner(ops, starts, record, moment, index)
    latest_open: Operation | None = None
    count = len(ops)
    # latest first: the operations started before the record, of which those still open
    for position in range(bisect.bisect_right(starts, moment) - 1, -1, -1):
        operation = ops[position]
        closes = operation.ends_at
        if closes is None and position + 1 < count:
            closes = ops[position + 1].start  # a later operation on the instance closes it
        if closes is not None and moment > closes and moment > operation.last:
            continue
        if latest_open is None:
            latest_open = operation
        if (operation.steps or index.of(operation.flow)).matching(record):
            return operation
    return latest_open if record.is_problem else None


def _task_owner(ops: list[Operation], starts: list[float], record: Record, moment: float,
                index: FlowIndex) -> Operation | None:
    """The operation whose task a `pending task (X). Skip.` line names.

    The lifecycle event that ends an operation is often logged just before the
    compute manager clears the task; the sync line that follows still shows it, and
    belongs to that operation rather than to the instance's state after it.
    """
    task = record.fields.get("task_state")
    for position in range(bisect.bisect_right(starts, moment) - 1, -1, -1):  # latest started first
        operation = ops[position]
        if moment - operation.last > PENDING_TASK_GRACE:
            return None
        if task in index.of(operation.flow).sets_task:
            return operation
    return None


def _flow_and_end(members: list[Record], index: FlowIndex) -> tuple[Flow | None, int | None]:
    """The flow a request's lines (in time order) follow, and the position of the first
    of them that is an `end` step of it."""
    flow = choose_flow(members, index)
    if flow is None:
        return None, None
    steps = index.of(flow)
    ends = steps.end_events
    for position, record in enumerate(members):
        if record.event in ends and steps.is_end(record):
            return flow, position
    return flow, None


def _start(operation: Operation) -> float:
    return operation.start


_position = attrgetter("order")  # a record's place in time (records.Record.order)
_SHAPE = attrgetter("shape")
_SERVICE = attrgetter("service")
