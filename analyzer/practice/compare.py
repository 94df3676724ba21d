"""Pause vs suspend: the documented differences, read from one run of both side by side.

Each side is an instance taken there and back (boot, pause, unpause / boot, suspend, resume).
Everything compared comes from what the run left: the check's end states, the lines of the
compute manager and of libvirt's lifecycle events, the server as the API showed it, the files
in the instance's directory, and how long the way back took in the logs and for the client.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from analyzer.practice.runner import Run
from analyzer.practice.walkthrough import LogLine, OperationView, Walkthrough

__all__ = ["Comparison", "Side", "compare"]

_SHUTDOWN = 4  # power_state of a domain that is shut off (reference 1.3)


@dataclass
class Side:
    name: str  # pause | suspend
    instance: str
    operation: str  # the flow: pause, suspend
    back: str  # unpause, resume
    state_after: str
    api_status: str | None
    power_state: int | None
    files: tuple[str, ...]
    lifecycle: list[LogLine] = field(default_factory=list)
    compute_lines: list[LogLine] = field(default_factory=list)
    back_lines: list[LogLine] = field(default_factory=list)
    back_state: str = ""
    back_seconds_logs: float | None = None
    back_seconds_client: float | None = None

    @property
    def kept_on_disk(self) -> bool:
        """Whether the guest's memory went to disk: a managed-save file in the instance directory,
        or a domain shut off (power_state 4) that still resumes where it was."""
        return self.power_state == _SHUTDOWN or any(name.endswith(".save") for name in self.files)


@dataclass
class Comparison:
    sides: list[Side]
    driver: str = "fake"

    def side(self, name: str) -> Side:
        return next(side for side in self.sides if side.name == name)


def _manager_lines(op: OperationView) -> list[LogLine]:
    return [line for step in op.steps if step.kind == "flow" and step.service == "nova-compute"
            and not step.name.startswith("vm_") for line in step.lines]


def compare(run: Run, walk: Walkthrough) -> Comparison:
    """The comparison of a pause-vs-suspend run."""
    sides = []
    for name, operations in run.exercise.sides.items():
        instance = f"{name}-vm"
        ops = [op for op in walk.operations if op.instance == instance and op.practised]
        there, back = ops[0], ops[1]
        seen = run.observation(instance, operations[1])
        returned = run.observation(instance, operations[2])
        sides.append(Side(
            name=name, instance=instance, operation=there.flow, back=back.flow, state_after=there.after,
            api_status=seen.status if seen else None, power_state=seen.power_state if seen else None,
            files=seen.files if seen else (),
            lifecycle=[line for step in there.steps if step.name.startswith("vm_") for line in step.lines],
            compute_lines=_manager_lines(there), back_lines=_manager_lines(back), back_state=back.after,
            back_seconds_logs=back.duration, back_seconds_client=returned.seconds if returned else None))
    return Comparison(sides, run.driver)
