"""Scenarios: YAML files of instances and the operations to apply, replayed through the HTTP API.

A scenario file (``sample_logs/scenarios/*.yaml``)::

    name: pause-and-back
    instances:
      - name: vm1            # flavor "1" (m1.tiny) and the default image unless given
    operations:
      - boot: vm1
      - pause: vm1
      - resume: vm1
        expect: 409          # an illegal request: Nova answers 409, the state stays
      - unpause: vm1
      - wait: 0.5            # seconds
      - delete: vm1

Each operation is sent as Nova's REST call, then the runner polls the server until the
operation has settled (no task_state, or gone after a delete) within a bounded timeout.
Errors in a file name the file and the line (``ScenarioError``).  YAML is read safely and
with YAML 1.1's ``on/off/yes/no`` kept as strings.
"""

from __future__ import annotations

import time
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

__all__ = ["OPERATIONS", "Operation", "Scenario", "ScenarioError", "all_operations", "load_scenario",
           "run_scenario"]

# operation -> (HTTP method, path suffix, body); None path = the server itself.
OPERATIONS: dict[str, tuple[str, str | None, object]] = {
    "boot": ("POST", "", None),
    "delete": ("DELETE", None, None),
    "start": ("POST", "/action", {"os-start": None}),
    "stop": ("POST", "/action", {"os-stop": None}),
    "pause": ("POST", "/action", {"pause": None}),
    "unpause": ("POST", "/action", {"unpause": None}),
    "suspend": ("POST", "/action", {"suspend": None}),
    "resume": ("POST", "/action", {"resume": None}),
    "rescue": ("POST", "/action", {"rescue": None}),
    "unrescue": ("POST", "/action", {"unrescue": None}),
    "snapshot": ("POST", "/action", {"createImage": {"name": "snapshot"}}),
    "rebuild": ("POST", "/action", {"rebuild": {"imageRef": None}}),
    "lock": ("POST", "/action", {"lock": None}),
    "unlock": ("POST", "/action", {"unlock": None}),
    "reboot_soft": ("POST", "/action", {"reboot": {"type": "SOFT"}}),
    "reboot_hard": ("POST", "/action", {"reboot": {"type": "HARD"}}),
}

DEFAULT_IMAGE = "0bb2cf4c-5ebe-4b5e-9f35-bd81bb3e4d43"


class ScenarioError(ValueError):
    """A scenario file that cannot be replayed: ``file:line: what``."""

    def __init__(self, source: str, line: int | None, message: str) -> None:
        self.source = source
        self.line = line
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {message}")


class _Loader(yaml.SafeLoader):
    """Safe YAML without YAML 1.1's yes/no/on/off booleans (only true/false are booleans)."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", __import__("re").compile(r"^(?:true|false)$"),
                              list("tf"))


@dataclass(frozen=True)
class Operation:
    """One step: an operation on an instance (``expect`` an HTTP status), or a wait."""

    name: str
    instance: str | None = None
    expect: int | None = None
    seconds: float = 0.0
    line: int | None = None


@dataclass
class Scenario:
    name: str
    instances: dict[str, dict] = field(default_factory=dict)
    operations: list[Operation] = field(default_factory=list)
    source: str = "<scenario>"


def _line(node) -> int:
    return node.start_mark.line + 1


def _scalar(source: str, node, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode):
        raise ScenarioError(source, _line(node), f"{what} must be a plain value")
    return node.value


def _mapping(source: str, node, what: str) -> dict[str, tuple[object, object]]:
    if not isinstance(node, yaml.MappingNode):
        raise ScenarioError(source, _line(node), f"{what} must be a mapping")
    return {_scalar(source, key, "a key"): (key, value) for key, value in node.value}


def _operation(source: str, node, instances: dict[str, dict]) -> Operation:
    entries = _mapping(source, node, "an operation")
    expect = None
    if "expect" in entries:
        key, value = entries.pop("expect")
        text = _scalar(source, value, "expect")
        if not text.isdigit():
            raise ScenarioError(source, _line(value), f"expect must be an HTTP status, not {text!r}")
        expect = int(text)
    if len(entries) != 1:
        raise ScenarioError(source, _line(node),
                            "an operation is one 'OPERATION: INSTANCE' (or 'wait: SECONDS')")
    (name, (key, value)), = entries.items()
    if name == "wait":
        text = _scalar(source, value, "wait")
        try:
            seconds = float(text)
        except ValueError:
            raise ScenarioError(source, _line(value), f"wait takes seconds, not {text!r}") from None
        return Operation("wait", seconds=seconds, line=_line(key))
    if name not in OPERATIONS:
        raise ScenarioError(source, _line(key), f"unknown operation {name!r} (known: "
                                                f"{', '.join(OPERATIONS)}, wait)")
    instance = _scalar(source, value, name)
    if instance not in instances:
        raise ScenarioError(source, _line(value),
                            f"unknown instance {instance!r} (declare it under instances)")
    return Operation(name, instance, expect, line=_line(key))


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    """A scenario from YAML text; ScenarioError names ``source`` and the line."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = " ".join(str(getattr(error, "problem", None) or error).split())  # one line
        raise ScenarioError(source, mark.line + 1 if mark else None, f"not valid YAML: {problem}") from None
    if root is None:
        raise ScenarioError(source, None, "empty scenario")
    top = _mapping(source, root, "a scenario")
    unknown = set(top) - {"name", "instances", "operations"}
    if unknown:
        key = top[sorted(unknown)[0]][0]
        raise ScenarioError(source, _line(key), f"unknown key {sorted(unknown)[0]!r} "
                                                "(expected name, instances, operations)")
    name = _scalar(source, top["name"][1], "name") if "name" in top else Path(source).stem
    instances: dict[str, dict] = {}
    if "instances" not in top:
        raise ScenarioError(source, _line(root), "no 'instances'")
    seq = top["instances"][1]
    if not isinstance(seq, yaml.SequenceNode):
        raise ScenarioError(source, _line(seq), "instances must be a list")
    for item in seq.value:
        entries = _mapping(source, item, "an instance")
        if "name" not in entries:
            raise ScenarioError(source, _line(item), "an instance needs a name")
        extra = set(entries) - {"name", "flavor", "image"}
        if extra:
            raise ScenarioError(source, _line(entries[sorted(extra)[0]][0]),
                                f"unknown instance key {sorted(extra)[0]!r} (expected name, flavor, image)")
        values = {key: _scalar(source, value, key) for key, (_, value) in entries.items()}
        instances[values["name"]] = {"flavor": values.get("flavor", "1"), "image": values.get("image")}
    if "operations" not in top:
        raise ScenarioError(source, _line(root), "no 'operations'")
    seq = top["operations"][1]
    if not isinstance(seq, yaml.SequenceNode):
        raise ScenarioError(source, _line(seq), "operations must be a list")
    operations = [_operation(source, item, instances) for item in seq.value]
    return Scenario(name, instances, operations, source)


def load_scenario(path: str | Path) -> Scenario:
    """A scenario file; ScenarioError for a missing, unreadable or bad one."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(str(path), None, f"cannot read: {error}") from None
    return parse_scenario(text, str(path))


def all_operations() -> Scenario:
    """One instance through every operation mini-Nova replays, each from a state Nova allows."""
    names = ["boot", "pause", "unpause", "suspend", "resume", "stop", "start", "rescue", "unrescue",
             "snapshot", "rebuild", "reboot_soft", "reboot_hard", "lock", "unlock", "delete"]
    return Scenario("all-operations", {"vm1": {"flavor": "1", "image": None}},
                    [Operation(name, "vm1") for name in names], "<all-operations>")


@dataclass
class StepResult:
    """What one step did: the HTTP status (None when it was not sent), the server's status once
    settled, and the server's id (the instance's uuid in the logs)."""

    operation: str
    instance: str | None
    status: int | None
    server_status: str | None
    server: str | None = None
    expected: bool = True  # the status was the one expected (always so in a strict run)


class ScenarioFailed(RuntimeError):
    """An operation answered an unexpected status or did not settle in time."""


def _settle(client, server_id: str, deleted: bool, timeout: float) -> str | None:
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        response = client.get(f"/v2.1/servers/{server_id}")
        if response.status_code == 404:
            if deleted:
                return "DELETED"
        elif not deleted:
            server = response.json()["server"]
            if server["OS-EXT-STS:task_state"] is None and server["status"] != "BUILD":
                return server["status"]
        if time.monotonic() > deadline:
            raise ScenarioFailed(f"server {server_id} did not settle within {timeout:.0f}s")
        time.sleep(delay)
        delay = min(delay * 1.5, 0.1)


def run_scenario(scenario: Scenario, client, timeout: float = 60.0, *, strict: bool = True,
                 progress: Callable[[int, int, StepResult], None] | None = None,
                 on_step: Callable[[StepResult, str | None], None] | None = None) -> list[StepResult]:
    """Replay ``scenario`` through ``client`` (an httpx-like client on the API's base URL).

    ``strict`` (the default) stops at the first unexpected status with ``ScenarioFailed``;
    otherwise the status is recorded (``StepResult.expected`` False) and the run goes on,
    as a replay of a real log must (operations on an instance whose boot was refused are
    then not sent: status None).  ``progress(done, total, result)`` is called after each step;
    ``on_step(result, server_id)`` once each step has settled, before the next one is sent
    (to look at the server or its disk in between).
    """
    servers: dict[str, str] = {}
    results: list[StepResult] = []
    # Like an orchestrating service, the runner names its run with a global request id.
    headers = {"X-OpenStack-Request-ID": f"req-{uuidlib.uuid4()}"}
    total = len(scenario.operations)
    for step in scenario.operations:
        result = _run_step(scenario, step, client, servers, headers, timeout, strict)
        results.append(result)
        if progress is not None:
            progress(len(results), total, result)
        if on_step is not None:
            on_step(result, servers.get(step.instance) if step.instance else None)
    return results


def _run_step(scenario: Scenario, step: Operation, client, servers: dict[str, str], headers: dict[str, str],
              timeout: float, strict: bool) -> StepResult:
    if step.name == "wait":
        time.sleep(step.seconds)
        return StepResult("wait", None, None, None)
    spec = scenario.instances[step.instance]
    image = spec.get("image") or DEFAULT_IMAGE
    method, suffix, body = OPERATIONS[step.name]
    if step.name == "boot":
        response = client.post("/v2.1/servers", headers=headers, json={"server": {
            "name": step.instance, "imageRef": image, "flavorRef": spec.get("flavor") or "1"}})
    else:
        if step.instance not in servers:
            if not strict:
                return StepResult(step.name, step.instance, None, None, expected=False)
            raise ScenarioFailed(f"{scenario.source}:{step.line}: {step.instance} was not booted")
        path = f"/v2.1/servers/{servers[step.instance]}"
        if method == "DELETE":
            response = client.delete(path, headers=headers)
        else:
            if step.name == "rebuild":
                body = {"rebuild": {"imageRef": image}}
            response = client.post(path + suffix, headers=headers, json=body)
    expected = step.expect
    ok = response.status_code == expected if expected else response.status_code < 400
    if not ok and strict:
        raise ScenarioFailed(f"{scenario.source}:{step.line}: {step.name} {step.instance} answered "
                             f"{response.status_code}: {response.text[:200]}")
    if step.name == "boot" and response.status_code < 400:
        servers[step.instance] = response.json()["server"]["id"]
    status = None
    # a 404 leaves nothing to wait for (the server is gone, or never was)
    if step.instance in servers and response.status_code != 404:
        deleted = step.name == "delete" and response.status_code < 400
        status = _settle(client, servers[step.instance], deleted, timeout)
    return StepResult(step.name, step.instance, response.status_code, status, servers.get(step.instance), ok)


def replay(scenarios: list[Scenario], log_dir: str | Path, style: str = "2016", endpoint: str | None = None,
           driver: str = "fake", timing: str = "fast", state_dir: str | Path | None = None,
           timeout: float = 60.0, libvirt_uri: str | None = None) -> dict[str, list[StepResult]]:
    """Replay ``scenarios`` through an embedded mini-Nova writing to ``log_dir`` (or ``endpoint``)."""
    if endpoint:
        import httpx

        with httpx.Client(base_url=endpoint.rstrip("/"), timeout=timeout) as client:
            return {scenario.name: run_scenario(scenario, client, timeout) for scenario in scenarios}
    from analyzer.replay.service import MiniNova

    with MiniNova(log_dir=log_dir, state_dir=state_dir, style=style, driver=driver, timing=timing,
                  libvirt_uri=libvirt_uri) as nova, \
            nova.client() as client:
        return {scenario.name: run_scenario(scenario, client, timeout) for scenario in scenarios}
