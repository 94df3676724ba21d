"""50 concurrent actions on one instance: Nova accepts exactly those its rules allow, the rest get 409."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from analyzer.replay import MiniNova
from analyzer.replay.api.admission import RULES

from .conftest import boot, settle


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """A current-style mini-Nova: it records every action, createImage included."""
    directory = tmp_path_factory.mktemp("concurrency")
    with MiniNova(log_dir=directory / "logs", state_dir=directory / "state", style="current") as nova, \
            nova.client() as http:
        yield http


# Every action needs task_state None: whichever lands first wins, the others see its task.
MIXED = ([{"pause": None}] * 10 + [{"suspend": None}] * 10 + [{"os-stop": None}] * 10
         + [{"reboot": {"type": "SOFT"}}] * 10 + [{"createImage": {"name": "race"}}] * 5
         + [{"rescue": None}] * 5)
# instance action -> (admission rule, vm_state it ends in; None = unchanged)
ACTIONS = {"pause": ("pause", "paused"), "suspend": ("suspend", "suspended"), "stop": ("os-stop", "stopped"),
           "reboot": ("reboot:SOFT", "active"), "createImage": ("createImage", None),
           "rescue": ("rescue", "rescued")}
STATUS = {"paused": "PAUSED", "suspended": "SUSPENDED", "stopped": "SHUTOFF", "active": "ACTIVE",
          "rescued": "RESCUE"}
POWER = {"PAUSED": 3, "SUSPENDED": 4, "SHUTOFF": 4, "ACTIVE": 1, "RESCUE": 1}


def _fire(client, server_id: str, bodies: list[dict]) -> list[tuple[str, int]]:
    def post(body: dict) -> tuple[str, int]:
        response = client.post(f"/v2.1/servers/{server_id}/action", json=body)
        return next(iter(body)), response.status_code

    with ThreadPoolExecutor(max_workers=25) as pool:
        return list(pool.map(post, bodies))


def test_fifty_concurrent_actions_accept_only_what_the_rules_allow(client):
    server_id = boot(client)
    answers = _fire(client, server_id, MIXED)
    accepted = [action for action, status in answers if status < 400]
    assert {status for _, status in answers if status >= 400} == {409}
    server = settle(client, server_id)
    actions = client.get(f"/v2.1/servers/{server_id}/os-instance-actions").json()["instanceActions"]
    assert [action["action"] for action in actions][0] == "create"
    done = [action["action"] for action in actions][1:]
    assert len(done) == len(accepted) >= 1  # every accepted request recorded, no refused one
    # Replayed one after the other, each accepted action was allowed from where the last one ended
    # (while a task runs every other action is refused, so they cannot overlap).
    vm_state = "active"
    for name in done:
        rule, ends = ACTIONS[name]
        assert vm_state in RULES[rule].vm_states, (done, name, vm_state)
        vm_state = ends or vm_state
    assert server["status"] == STATUS[vm_state]
    assert server["OS-EXT-STS:task_state"] is None
    assert server["OS-EXT-STS:power_state"] == POWER[server["status"]]


def test_fifty_concurrent_pauses_then_unpauses(client):
    server_id = boot(client)
    answers = _fire(client, server_id, [{"pause": None}] * 50)
    assert sorted(status for _, status in answers) == [202] + [409] * 49  # paused: pause refused
    assert settle(client, server_id)["status"] == "PAUSED"
    answers = _fire(client, server_id, [{"unpause": None}] * 50)
    assert sorted(status for _, status in answers) == [202] + [409] * 49
    server = settle(client, server_id)
    assert (server["status"], server["OS-EXT-STS:power_state"]) == ("ACTIVE", 1)


def test_concurrent_lock_and_actions_never_leave_a_task_behind(client):
    server_id = boot(client)
    bodies = [{"lock": None}] + [{"pause": None}] * 24 + [{"unlock": None}] + [{"suspend": None}] * 24
    answers = _fire(client, server_id, bodies)
    assert {status for _, status in answers} <= {202, 409}
    server = settle(client, server_id)
    assert server["OS-EXT-STS:task_state"] is None
    assert server["status"] in {"ACTIVE", "PAUSED", "SUSPENDED"}
