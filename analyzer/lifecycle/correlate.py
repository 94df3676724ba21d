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

import numpy as np

from analyzer.lifecycle.matching import FlowIndex, FlowSteps
from analyzer.lifecycle.records import Record, RecordKeys
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


def correlate(records: list[Record], keys: RecordKeys, index: FlowIndex) -> Correlation:
    """Group `records` (with their `keys`) into operations per instance (see the module
    docstring)."""
    request, instance, rank = keys.request, keys.instance, keys.rank
    items = np.empty(len(records), dtype=object)
    items[:] = records
    # the requests' groups: (instance, request) pairs of the lines naming both
    named = np.flatnonzero((request >= 0) & (instance >= 0))
    width = int(request.max()) + 1 if len(request) else 1
    pairs, first, group_of = np.unique(instance[named] * width + request[named],
                                       return_index=True, return_inverse=True)
    pair_request = pairs % width
    # a request's lines that name no instance join each instance the request names
    per_request = np.bincount(pair_request, minlength=width)
    unnamed = np.flatnonzero((request >= 0) & (instance < 0))
    counts = per_request[request[unnamed]]
    unnamed = unnamed[counts <= MAX_INSTANCES_PER_REQUEST]
    counts = per_request[request[unnamed]]
    by_request = np.argsort(pair_request, kind="stable")
    firsts = np.searchsorted(pair_request[by_request], request[unnamed])
    joined = np.repeat(unnamed, counts)
    nth = np.arange(len(joined)) - np.repeat(np.cumsum(counts) - counts, counts)
    group_of = np.concatenate([group_of.reshape(-1), by_request[np.repeat(firsts, counts) + nth]])
    rows = np.concatenate([named, joined])
    arranged = np.lexsort((rank[rows], group_of))  # each group's lines together, in time order
    rows, group_of = rows[arranged], group_of[arranged]
    bounds = np.flatnonzero(np.diff(group_of)) + 1
    begins = np.concatenate([[0], bounds]).tolist()
    ends = np.concatenate([bounds, [len(rows)]]).tolist()
    kinds = keys.kind[rows]
    unshaped = (np.minimum.reduceat(kinds, begins) < 0).tolist() if len(rows) else []
    kind_bytes = kinds.tobytes()
    members_of = items[rows].tolist()
    row_list = rows.tolist()
    pair_instance, pair_request = (pairs // width).tolist(), pair_request.tolist()
    names, requests = keys.instances, keys.requests

    operations: list[Operation] = []
    loose_rows = np.flatnonzero((request < 0) & (instance >= 0)).tolist()  # placed by time
    openers = index.openers
    # a request's flow, and which of its lines ends it, depend on the lines' shapes (event,
    # matchers met) and services only: worked out once per distinct group
    chosen: dict[bytes, tuple[Flow | None, int | None]] = {}
    for group in np.argsort(first, kind="stable").tolist():  # in the order the groups first show
        begin, end = begins[group], ends[group]
        members = members_of[begin:end]
        if end - begin == 1 and members[0].event not in openers:  # a periodic task's line, mostly
            if members[0].event not in USER_REQUEST_EVENTS:
                loose_rows.append(row_list[begin])
            continue
        if unshaped[group]:
            flow, last = _flow_and_end(members, index)
        else:
            key = kind_bytes[begin * 8:end * 8]
            found = chosen.get(key)
            if found is None:
                found = chosen[key] = _flow_and_end(members, index)
            flow, last = found
        if flow is None:
            if not any(r.event in USER_REQUEST_EVENTS for r in members):
                # a background context (lifecycle event handler, periodic task): its lines
                # are placed by time; a user's request that opens no flow is left out
                loose_rows += [row for row, r in zip(row_list[begin:end], members, strict=True) if r.instance]
            continue
        operation = Operation(flow, names[pair_instance[group]], requests[pair_request[group]], members,
                              steps=index.of(flow))
        operation.ends_at = members[last].t if last is not None else None
        operations.append(operation)

    loose = np.array(loose_rows, dtype=np.int64)
    loose = loose[np.lexsort((rank[loose], instance[loose]))]  # per instance, in time order
    observations = _place_loose(operations, loose, instance[loose], items, names, index)
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


def _place_loose(operations: list[Operation], loose: np.ndarray, loose_instances: np.ndarray,
                 items: np.ndarray, names: list[str], index: FlowIndex) -> dict[str, list[Record]]:
    """Place the lines of no request (`loose`: rows of `items`, by instance and time) into
    the operations open on their instance; the rest are observations."""
    per_instance: dict[str, list[Operation]] = defaultdict(list)
    for operation in operations:
        per_instance[operation.instance].append(operation)
    starts: dict[str, list[float]] = {}
    for instance, ops in per_instance.items():
        ops.sort(key=_start)
        starts[instance] = [operation.start for operation in ops]

    observations: dict[str, list[Record]] = defaultdict(list)
    bounds = np.flatnonzero(np.diff(loose_instances)) + 1
    for begin, end in zip([0, *bounds.tolist()], [*bounds.tolist(), len(loose)], strict=True):
        if begin == end:
            continue
        instance = names[loose_instances[begin]]
        records = items[loose[begin:end]].tolist()
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
