"""nova-api's admission rules: 409 with Nova's messages, locked instances, 404, 400, versions."""

from __future__ import annotations

import pytest

from analyzer.lifecycle import check
from analyzer.replay import DEFAULT_IMAGE_ID

from .conftest import boot, settle


def _state(client, server_id: str) -> tuple:
    server = client.get(f"/v2.1/servers/{server_id}").json()["server"]
    return (server["OS-EXT-STS:vm_state"], server["OS-EXT-STS:task_state"],
            server["OS-EXT-STS:power_state"], server["locked"])


def test_resume_of_an_active_instance_is_409_and_changes_nothing(client):
    server_id = boot(client)
    before = _state(client, server_id)
    response = client.post(f"/v2.1/servers/{server_id}/action", json={"resume": None})
    assert response.status_code == 409
    assert response.json() == {"conflictingRequest": {"code": 409, "message": (
        f"Cannot 'resume' instance {server_id} while it is in vm_state active")}}
    assert _state(client, server_id) == before


@pytest.mark.parametrize("body", [{"pause": None}, {"suspend": None}, {"os-stop": None},
                                  {"rescue": None}, {"reboot": {"type": "HARD"}},
                                  {"rebuild": {"imageRef": DEFAULT_IMAGE_ID}}])
def test_any_action_on_a_locked_instance_is_409_and_changes_nothing(client, body):
    server_id = boot(client)
    assert client.post(f"/v2.1/servers/{server_id}/action", json={"lock": None}).status_code == 202
    before = _state(client, server_id)
    response = client.post(f"/v2.1/servers/{server_id}/action", json=body)
    assert response.status_code == 409
    assert response.json()["conflictingRequest"]["message"] == f"Instance {server_id} is locked"
    assert client.delete(f"/v2.1/servers/{server_id}").status_code == 409
    assert _state(client, server_id) == before


def test_snapshot_is_not_lock_checked(client):
    server_id = boot(client)
    client.post(f"/v2.1/servers/{server_id}/action", json={"lock": None})
    response = client.post(f"/v2.1/servers/{server_id}/action", json={"createImage": {"name": "snap"}})
    assert response.status_code == 202
    assert settle(client, server_id)["status"] == "ACTIVE"
    images = client.get("/v2.1/images").json()["images"]
    assert [image["status"] for image in images if image["name"] == "snap"][-1] == "ACTIVE"


def test_a_task_in_progress_refuses_a_second_action_with_its_task_state(client, nova):
    server_id = boot(client)
    nova.db.update_instance(server_id, {"task_state": "pausing"})
    response = client.post(f"/v2.1/servers/{server_id}/action", json={"os-stop": None})
    assert response.status_code == 409
    assert response.json()["conflictingRequest"]["message"] == (
        f"Cannot 'stop' instance {server_id} while it is in task_state pausing")


def test_hard_reboot_is_allowed_while_pausing_but_soft_is_not(client, nova):
    server_id = boot(client)
    nova.db.update_instance(server_id, {"task_state": "pausing"})
    soft = client.post(f"/v2.1/servers/{server_id}/action", json={"reboot": {"type": "SOFT"}})
    assert soft.status_code == 409
    hard = client.post(f"/v2.1/servers/{server_id}/action", json={"reboot": {"type": "HARD"}})
    assert hard.status_code == 202
    assert settle(client, server_id)["status"] == "ACTIVE"


def test_unknown_server_is_404(client):
    response = client.get("/v2.1/servers/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert response.json()["itemNotFound"]["message"] == (
        "Instance 00000000-0000-0000-0000-000000000000 could not be found.")
    action = client.post("/v2.1/servers/00000000-0000-0000-0000-000000000000/action", json={"pause": None})
    assert action.status_code == 404


@pytest.mark.parametrize(("body", "message"), [
    (b"{not json", "Malformed request body"),
    (b'{"server": {"imageRef": "x"}}', "'name' is a required property"),
    (b'{"server": {"name": "a", "imageRef": "0bb2cf4c-5ebe-4b5e-9f35-bd81bb3e4d43", "flavorRef": "99"}}',
     "Flavor 99 could not be found."),
])
def test_malformed_create_is_400_with_a_clear_message(client, body, message):
    response = client.post("/v2.1/servers", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert message in response.json()["badRequest"]["message"]


def test_malformed_actions_are_400(client):
    server_id = boot(client)
    bad_type = client.post(f"/v2.1/servers/{server_id}/action", json={"reboot": {"type": "GENTLE"}})
    assert bad_type.status_code == 400
    unknown = client.post(f"/v2.1/servers/{server_id}/action", json={"fly": None})
    assert unknown.json()["badRequest"]["message"] == "There is no such action: fly"
    nameless = client.post(f"/v2.1/servers/{server_id}/action", json={"createImage": {}})
    assert "'name' is a required property" in nameless.json()["badRequest"]["message"]


def test_version_documents_and_microversion_negotiation(client):
    assert client.get("/").json()["versions"][0]["id"] == "v2.1"
    response = client.get("/v2.1/flavors", headers={"OpenStack-API-Version": "compute 2.20"})
    assert response.headers["OpenStack-API-Version"] == "compute 2.20"
    assert response.headers["X-OpenStack-Nova-API-Version"] == "2.20"
    latest = client.get("/v2.1/flavors", headers={"X-OpenStack-Nova-API-Version": "latest"})
    assert latest.headers["X-OpenStack-Nova-API-Version"] == "2.25"
    too_new = client.get("/v2.1/flavors", headers={"OpenStack-API-Version": "compute 2.999"})
    assert too_new.status_code == 406


def test_instance_actions_are_recorded(client):
    server_id = boot(client)
    client.post(f"/v2.1/servers/{server_id}/action", json={"pause": None})
    settle(client, server_id)
    actions = client.get(f"/v2.1/servers/{server_id}/os-instance-actions").json()["instanceActions"]
    assert [action["action"] for action in actions] == ["create", "pause"]


def test_refusals_are_checked_as_illegal_state(tmp_path):
    from analyzer.replay import MiniNova

    with MiniNova(log_dir=tmp_path / "logs", state_dir=tmp_path / "state") as nova, \
            nova.client() as client:
        server_id = boot(client)
        client.post(f"/v2.1/servers/{server_id}/action", json={"resume": None})
    result = check([tmp_path / "logs"]).as_dict()
    refused = [op for op in result["operations"] if op["operation"] == "resume"]
    assert [dev["kind"] for dev in refused[0]["deviations"]] == ["illegal_state"]


def test_no_valid_host_ends_in_error(tmp_path):
    from analyzer.replay import MiniNova
    from analyzer.replay.service import HostResources

    tiny = HostResources(memory_mb=256, vcpus=1, local_gb=1)
    with MiniNova(log_dir=tmp_path / "logs", state_dir=tmp_path / "state", resources=tiny) as nova, \
            nova.client() as client:
        response = client.post("/v2.1/servers", json={"server": {
            "name": "big", "imageRef": DEFAULT_IMAGE_ID, "flavorRef": "2"}})
        server = settle(client, response.json()["server"]["id"])
        assert server["status"] == "ERROR"
    assert "No valid host was found" in (tmp_path / "logs" / "nova-conductor.log").read_text()
