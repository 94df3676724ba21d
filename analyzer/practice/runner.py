"""Runs an exercise on a fresh mini-Nova and checks the logs it wrote.

The scenario (prerequisites, then the practised operations) goes through mini-Nova's HTTP
API with the scenarios runner; after each operation settles the runner notes what a user
would look at — the server's status and power state, the files in the instance's directory,
the time the client waited — and at the end the instance actions.  The logs are then
checked with `novatrace check`'s engine.  Exercises with a ``proof`` also replay a short
demonstration (a locked instance refused with 409) into a log directory of its own, so the
exercise's logs hold exactly the exercise.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from analyzer.errors import InputError, NovatraceError
from analyzer.lifecycle import CheckResult, check
from analyzer.practice.catalog import Exercise, catalogue

__all__ = ["DRIVER_CHOICES", "Observation", "ProofRun", "Run", "run_exercise", "run_operations"]

DRIVER_CHOICES = ("fake", "libvirt")
STYLE_CHOICES = ("2016", "current")


@dataclass
class Observation:
    """The server as the API showed it once one scenario operation had settled."""

    operation: str
    instance: str  # the scenario's name for it
    server_id: str | None
    http_status: int | None
    expected: int | None
    status: str | None  # ACTIVE, PAUSED, SUSPENDED, SHUTOFF, RESCUE, DELETED …
    vm_state: str | None = None
    power_state: int | None = None
    seconds: float = 0.0  # from sending the request to seeing it settled (client side, polling)
    files: tuple[str, ...] = ()  # the instance directory's files on the compute host


@dataclass
class ProofRun:
    """A demonstration replayed into its own log directory."""

    name: str
    log_dir: Path
    observations: list[Observation]


@dataclass
class Run:
    exercise: Exercise
    style: str
    driver: str
    log_dir: Path
    servers: dict[str, str]  # scenario name -> server id
    observations: list[Observation]
    actions: dict[str, list[dict]]  # server id -> instance actions (os-instance-actions)
    result: CheckResult
    proof: ProofRun | None = None
    practised: list[str] = field(default_factory=list)  # flow names, in scenario order

    def observation(self, instance: str, operation: str) -> Observation | None:
        return next((seen for seen in self.observations
                     if seen.instance == instance and seen.operation == operation), None)


def _driver(name: str) -> str:
    """``name`` when mini-Nova can run that driver here; InputError (one line) when not."""
    from analyzer.replay.drivers import DRIVERS, driver_class  # noqa: PLC0415

    if name not in DRIVER_CHOICES:
        raise InputError(f"unknown driver {name!r}; choose one of {', '.join(DRIVER_CHOICES)}")
    if name not in DRIVERS:
        raise InputError(f"the {name} driver is not available in this novatrace (available: "
                         f"{', '.join(sorted(DRIVERS))}); run with --driver fake")
    try:
        driver_class(name)
    except ValueError as error:  # e.g. libvirt-python is not installed
        raise InputError(f"the {name} driver is not available: {error}") from None
    return name


def _fresh(log_dir: Path) -> Path:
    """``log_dir`` emptied of the logs of an earlier run (nothing else is touched)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    for old in log_dir.glob("*.log"):
        old.unlink()
    return log_dir


def run_operations(steps: list[tuple[str, str, int | None]], log_dir: Path, style: str, driver: str,
                   name: str = "practice") -> tuple[list[Observation], dict[str, str], dict[str, list[dict]]]:
    """Replay ``steps`` ((operation, instance, expected status)) on a fresh mini-Nova into ``log_dir``.

    Returns what was observed after each step, the server ids and their instance actions.
    """
    from analyzer.replay.scenarios import Operation, Scenario, ScenarioFailed, run_scenario  # noqa: PLC0415

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from analyzer.replay.service import MiniNova  # noqa: PLC0415

    instances = {instance: {"flavor": "1", "image": None} for _, instance, _ in steps}
    scenario = Scenario(name, instances, [Operation(op, instance, expect) for op, instance, expect in steps],
                        f"<{name}>")
    observations: list[Observation] = []
    servers: dict[str, str] = {}
    with MiniNova(log_dir=_fresh(log_dir), style=style, driver=driver) as nova, nova.client() as client:
        clock = [time.monotonic()]

        def seen(result, server_id: str | None) -> None:
            now = time.monotonic()
            if server_id:
                servers[result.instance] = server_id
            expected = scenario.operations[len(observations)].expect
            observation = Observation(result.operation, result.instance, server_id, result.status, expected,
                                      result.server_status, seconds=now - clock[0])
            if server_id and result.server_status != "DELETED":
                server = client.get(f"/v2.1/servers/{server_id}").json()["server"]
                observation.vm_state = server.get("OS-EXT-STS:vm_state")
                observation.power_state = server.get("OS-EXT-STS:power_state")
            if server_id:
                observation.files = _instance_files(nova.state_dir, server_id)
            observations.append(observation)
            clock[0] = time.monotonic()

        try:
            run_scenario(scenario, client, timeout=60.0, on_step=seen)
        except ScenarioFailed as error:  # mini-Nova did not do what Nova would
            raise NovatraceError(f"the exercise could not be replayed: {error}") from None
        actions = {server_id: client.get(f"/v2.1/servers/{server_id}/os-instance-actions").json()
                   .get("instanceActions", []) for server_id in servers.values()}
    return observations, servers, actions


def _instance_files(state_dir: Path, server_id: str) -> tuple[str, ...]:
    for directory in state_dir.glob(f"*/instances/{server_id}"):
        return tuple(sorted(path.name for path in directory.iterdir()))
    return ()


def run_exercise(exercise: Exercise, out_dir: str | Path, style: str = "2016", driver: str = "fake") -> Run:
    """Replay ``exercise`` into ``out_dir``/logs (and its proof into ``out_dir``/proof/logs), check it."""
    if style not in STYLE_CHOICES:
        raise InputError(f"unknown log style {style!r}; choose one of {', '.join(STYLE_CHOICES)}")
    driver = _driver(driver)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} is not a directory")
    known = catalogue()
    if exercise.is_comparison:
        names = {side: f"{side}-vm" for side in exercise.sides}
        longest = max(len(ops) for ops in exercise.sides.values())
        steps = [(ops[index], names[side], None) for index in range(longest)
                 for side, ops in exercise.sides.items() if index < len(ops)]
        practised = [known.flow_name(op, style) for ops in exercise.sides.values() for op in ops[1:]]
    else:
        steps = [(op, "vm1", None) for op in exercise.scenario]
        practised = [known.flow_name(op, style) for op in exercise.practise]
    log_dir = out / "logs"
    observations, servers, actions = run_operations(steps, log_dir, style, driver, exercise.name)
    proof = None
    stale = out / "proof" / "logs"
    if not exercise.proof and stale.is_dir():  # an earlier exercise's demonstration in the same DIR
        _fresh(stale)
    if exercise.proof:
        proof_dir = out / "proof" / "logs"
        proof_steps = [(op, "vm1", expect) for op, expect in known.proofs[exercise.proof]]
        proof_observations, _, _ = run_operations(proof_steps, proof_dir, style, driver, exercise.proof)
        proof = ProofRun(exercise.proof, proof_dir, proof_observations)
    result = check([log_dir])
    return Run(exercise, style, driver, log_dir, servers, observations, actions, result, proof, practised)
