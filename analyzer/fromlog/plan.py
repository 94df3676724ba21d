"""What to replay of a checked log: a mini-Nova scenario built from its operations, in their order.

Each operation `novatrace check` found becomes the scenario operation mini-Nova replays
(`snapshot_cold` and `snapshot_live` are both `snapshot`: mini-Nova picks cold or live by
log style, as Nova's libvirt driver did by release).  Every operation that is not replayed
is kept with the reason, never dropped:

- flows mini-Nova does not have (volumes, resize and migrations, shelve);
- operations that failed after the API took them (an instance ending in `error`, an
  operation stopped by an error): mini-Nova cannot reproduce the fault, and replaying
  them would only show it going right;
- the later operations of an instance whose boot was not replayed.

An operation the API refused in the original (409, or 404 for an instance already gone)
is replayed expecting the same answer: mini-Nova's admission rules are Nova's, so the
refusal is part of what the replay compares.  An instance whose boot is not in the log
is booted first ("set up for the replay", not compared), and brought to the state its
first operation found when a mini-Nova operation leads there (stopped, paused,
suspended, rescued).

Gaps: with `speed` > 0, before each replayed operation the scenario waits the idle time
the original had between the end of the previous replayed operation and this one's
start, divided by `speed` (1 = as in the original, 10 = ten times faster).  With speed 0
there are no waits: each operation is sent once the previous one has settled.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from analyzer.errors import InputError
from analyzer.lifecycle import CheckResult
from analyzer.lifecycle import deviations as dv
from analyzer.lifecycle.machine import FAILED, Checked
from analyzer.replay.scenarios import OPERATIONS, Operation, Scenario

# flow name (grammars/flows) -> the scenario operation that replays it
REPLAYED_AS: dict[str, str] = {name: name for name in OPERATIONS if name != "snapshot"}
REPLAYED_AS.update({"snapshot_cold": "snapshot", "snapshot_live": "snapshot"})

# why mini-Nova has no operation for a flow, by flow family
UNSUPPORTED: dict[str, str] = {
    "volume": "mini-Nova has no block storage (Cinder volumes)",
    "resize": "mini-Nova does not resize or migrate instances",
    "live_migration": "mini-Nova does not migrate instances",
    "shelve": "mini-Nova does not shelve instances",
    "unshelve": "mini-Nova does not shelve instances",
}

# the operation that brings a freshly booted instance to the vm_state a log began in
SET_UP: dict[str, str | None] = {"active": None, "stopped": "stop", "paused": "pause",
                                 "suspended": "suspend", "rescued": "rescue"}


@dataclass(frozen=True)
class Planned:
    """One scenario operation: replaying `original`, or setting an instance up (original None)."""

    operation: Operation
    original: Checked | None
    wait: float = 0.0  # seconds waited before it


@dataclass(frozen=True)
class NotReplayed:
    original: Checked
    reason: str


@dataclass
class Plan:
    """The scenario to run and, beside it, what each of its operations stands for."""

    scenario: Scenario
    planned: list[Planned] = field(default_factory=list)  # in scenario order, waits left out
    not_replayed: list[NotReplayed] = field(default_factory=list)
    speed: float = 0.0

    @property
    def waited(self) -> float:
        return sum(item.wait for item in self.planned)

    @property
    def replayed(self) -> list[Planned]:
        return [item for item in self.planned if item.original is not None]


def api_status(checked: Checked) -> int | None:
    """The HTTP status the API answered the operation's request with (None if not logged)."""
    for record in checked.operation.records:
        if record.event == "api_request":
            try:
                return int(record.fields.get("status"))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                continue
    return None


def refused(checked: Checked) -> bool:
    """Whether the API turned the request down (a 4xx answer or a logged refusal)."""
    status = api_status(checked)
    return checked.refused or (status is not None and 400 <= status < 500)


def plan(result: CheckResult, speed: float = 0.0, name: str = "from-log") -> Plan:
    """The scenario replaying `result`'s operations in the order they began.

    Raises InputError when the log holds no Nova operation, or none mini-Nova can replay.
    """
    if speed < 0:
        raise InputError(f"--speed must be 0 (no waits) or a positive factor, not {speed:g}")
    checked = result.checked
    if not checked:
        raise InputError("no Nova operations found in these logs (nothing to replay)")
    scenario = Scenario(name, source=f"<{name}>")
    out = Plan(scenario, speed=speed)
    lost: dict[str, str] = {}  # instance -> why its operations are not replayed
    last_end: float | None = None
    for item in checked:
        instance = item.operation.instance
        reason = _not_replayable(item, lost.get(instance))
        if reason is not None:
            out.not_replayed.append(NotReplayed(item, reason))
            if item.flow.name == "boot" and instance not in lost:
                lost[instance] = "its boot was not replayed"
            continue
        wait = 0.0
        if speed > 0 and last_end is not None:
            wait = max(0.0, item.start - last_end) / speed
        if instance not in scenario.instances:
            setup = _set_up(item) if item.flow.name != "boot" else []
            if setup is None:
                lost[instance] = f"its state before the log, {item.before}, cannot be set up in mini-Nova"
                out.not_replayed.append(NotReplayed(item, lost[instance]))
                continue
            scenario.instances[instance] = {"flavor": "1", "image": None}
            for setup_name in setup:  # the wait goes before them
                _add(out, Operation(setup_name, instance), None, wait)
                wait = 0.0
        expect = (api_status(item) or 409) if refused(item) else None
        _add(out, Operation(REPLAYED_AS[item.flow.name], instance, expect), item, wait)
        last_end = max(last_end or item.operation.last, item.operation.last)
    if not out.replayed:
        reasons = sorted({entry.reason for entry in out.not_replayed})
        raise InputError(f"none of the {len(checked)} operations in these logs can be replayed: "
                         + "; ".join(reasons))
    return out


def _add(out: Plan, operation: Operation, original: Checked | None, wait: float) -> None:
    if wait > 0:
        out.scenario.operations.append(Operation("wait", seconds=wait))
    out.scenario.operations.append(operation)
    out.planned.append(Planned(operation, original, wait))


def _not_replayable(item: Checked, lost: str | None) -> str | None:
    name = item.flow.name
    if name not in REPLAYED_AS:
        return UNSUPPORTED.get(item.flow.family, f"mini-Nova does not replay {name}")
    if item.status == FAILED and not refused(item):
        return f"failed in the original ({_failure(item)}); mini-Nova cannot reproduce the fault"
    return lost


def _failure(item: Checked) -> str:
    """What made `item` fail, in the words of its deviations (errors first)."""
    if item.after.vm == "error":
        return "the instance ended in vm_state error"
    for kind in (dv.ERROR, dv.ILLEGAL_STATE, dv.INCOMPLETE):
        detail = next((d.detail for d in item.deviations if d.kind == kind), None)
        if detail:
            return detail
    return "it failed"


def _set_up(item: Checked) -> list[str] | None:
    """The operations that bring a new instance to the state `item` began from (None: none can)."""
    vm = item.before.vm
    if vm is None or vm == "building":
        return ["boot"]
    if vm not in SET_UP:
        return None
    then = SET_UP[vm]
    return ["boot"] + ([then] if then else [])
