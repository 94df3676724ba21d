"""novatrace check on the real third-party logs of ../shared/real_logs."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from analyzer.lifecycle import check

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "real_logs"
LOGHUB = REAL / "loghub_openstack_2k" / "OpenStack_2k.log"
DEVSTACK = REAL / "devstack_gate_2016"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.fixture(scope="module")
def loghub() -> dict:
    return check([LOGHUB]).as_dict()


@pytest.fixture(scope="module")
def devstack() -> dict:
    return check(sorted(DEVSTACK.glob("screen-n-*.txt"))).as_dict()


def test_loghub_every_instance_booted_and_deleted(loghub: dict) -> None:
    assert len(loghub["instances"]) == 22
    for uuid, instance in loghub["instances"].items():
        kinds = [loghub["operations"][i - 1]["operation"] for i in instance["operations"]]
        assert kinds == ["boot", "delete"], uuid


def test_loghub_boot_lifecycle_events_are_not_pauses(loghub: dict) -> None:
    # every libvirt boot shows VM Paused / VM Resumed while it waits for the network
    text = LOGHUB.read_text(encoding="utf-8", errors="replace")
    assert "VM Paused (Lifecycle Event)" in text and "VM Resumed (Lifecycle Event)" in text
    kinds = Counter(op["operation"] for op in loghub["operations"])
    assert kinds["pause"] == 0 and kinds["unpause"] == 0 and kinds["resume"] == 0


def test_loghub_only_the_delete_cut_off_by_the_end_of_the_log_deviates(loghub: dict) -> None:
    deviating = [op for op in loghub["operations"] if op["deviations"]]
    assert len(deviating) == 1
    last = deviating[0]
    assert last["operation"] == "delete" and last["status"] == "incomplete"
    assert last["deviations"][0]["evidence"][0]["line"] >= 1990  # the last lines of the file


def test_loghub_durations_table(loghub: dict) -> None:
    table = loghub["summary"]["durations"]
    assert table["boot"]["count"] == 22 and table["delete"]["count"] == 22
    for name in ("boot", "delete"):
        stats = table[name]
        assert 0 < stats["min"] <= stats["median"] <= stats["p90"] <= stats["p95"] <= stats["max"]
    assert "spawned" in table["boot"]["steps"]


def _tempest_requests() -> Counter:
    """(operation, instance) of every successful server request tempest made, from its log."""
    done: Counter = Counter()
    text = (DEVSTACK / "tempest.txt").read_text(encoding="utf-8", errors="replace")
    request = re.compile(r"Request \([^)]*\): (\d+) (POST|DELETE) \S+/v2\.1/servers(?:/(" + UUID
                         + r"))?(/action)?\s")
    body = re.compile(r'Body: \{"(\w+)"')
    lines = text.splitlines()
    for number, line in enumerate(lines):
        found = request.search(line)
        if not found or not found.group(1).startswith("2"):
            continue
        status, method, uuid, action = found.groups()
        if method == "POST" and uuid is None:
            done[("boot", None)] += 1
        elif method == "DELETE" and action is None:
            done[("delete", uuid)] += 1
        elif action:
            following = next((body.search(later) for later in lines[number + 1:number + 4]
                              if body.search(later)), None)
            if following:
                done[(following.group(1), uuid)] += 1
    return done


def test_devstack_operations_match_the_requests_tempest_made(devstack: dict) -> None:
    asked = _tempest_requests()
    seen: Counter = Counter()
    for op in devstack["operations"]:
        if op["status"] == "failed":
            continue  # refused by the API: tempest's negative tests
        key = "boot" if op["operation"] == "boot" else op["operation"]
        seen[(key, None if key == "boot" else op["instance"])] += 1
    for key in ("rebuild", "rescue", "unrescue", "delete"):
        assert {k: v for k, v in asked.items() if k[0] == key} == \
            {k: v for k, v in seen.items() if k[0] == key}, key
    assert asked[("boot", None)] == seen[("boot", None)] == 12


def test_devstack_rescue_unrescue_sequence_and_states(devstack: dict) -> None:
    story = next(i for u, i in devstack["instances"].items() if u.startswith("4c45d1e7"))
    kinds = [devstack["operations"][i - 1]["operation"] for i in story["operations"]]
    core = [k for k in kinds if k in ("boot", "rescue", "unrescue", "delete")]
    assert core == ["boot", "rescue", "unrescue", "rescue", "unrescue", "delete"]
    rescue = next(devstack["operations"][i - 1] for i in story["operations"]
                  if devstack["operations"][i - 1]["operation"] == "rescue")
    assert rescue["status"] == "ok"
    assert rescue["state_after"] == {"vm_state": "rescued", "task_state": "none", "power_state": "running"}
    assert story["final_state"]["vm_state"] == "deleted"


def test_devstack_real_refusals_are_illegal_state_with_evidence(devstack: dict) -> None:
    refused = [op for op in devstack["operations"]
               if any(d["kind"] == "illegal_state" for d in op["deviations"])]
    assert sorted(op["operation"] for op in refused) == ["attach_volume", "detach_volume"]
    for op in refused:
        deviation = next(d for d in op["deviations"] if d["kind"] == "illegal_state")
        assert "rescued" in deviation["detail"]
        assert any("status: 409" in e["text"] for e in deviation["evidence"])
        assert all(e["source"].endswith("screen-n-api.txt") and e["line"] > 0 for e in deviation["evidence"])
