"""A compute that starts takes over its host's instances as Nova's ``init_host`` does.

The instances are left in the task state an operation cut short would leave (the database is
written as the killed compute left it), then the compute's ``init_host`` runs, as at start-up.
"""

from __future__ import annotations

import pytest
from oslo_context import context as oslo_context

from analyzer.lifecycle import check
from analyzer.replay import MiniNova

from .conftest import boot, settle


def _restart_over(nova: MiniNova, server_id: str, **cut_short) -> dict:
    """Leave ``server_id`` as a killed compute would, then run the compute's start-up on it."""
    nova.db.update_instance(server_id, cut_short)
    manager = nova.managers["compute1"]
    manager.init_host(oslo_context.RequestContext(is_admin=True, overwrite=False))
    return nova.db.get_instance(server_id)


@pytest.mark.parametrize(("cut_short", "after"), [
    ({"task_state": "powering-off"}, ("stopped", None, 4)),  # the stop is done again
    ({"task_state": "spawning", "vm_state": "building"}, ("error", None, 1)),
    ({"task_state": "pausing"}, ("active", None, 1)),  # a running guest: the task state is cleared
    ({"task_state": "image_uploading"}, ("active", None, 1)),
    ({"task_state": "reboot_pending"}, ("active", None, 1)),  # the reboot is done again
    ({"task_state": "suspending"}, ("active", "suspending", 1)),  # left for an operator, as Nova does
])
def test_each_task_state_left_behind_is_treated_as_nova_does(tmp_path, cut_short, after):
    with MiniNova(log_dir=tmp_path / "logs", state_dir=tmp_path / "state") as nova, nova.client() as client:
        server_id = boot(client)
        row = _restart_over(nova, server_id, **cut_short)
    assert (row["vm_state"], row["task_state"], row["power_state"]) == after


def test_check_knows_the_stop_a_restarted_compute_does_again(tmp_path):
    with MiniNova(log_dir=tmp_path / "logs", state_dir=tmp_path / "state") as nova, nova.client() as client:
        server_id = boot(client)
        compute_server = nova._servers[2]  # the compute stops consuming: the stop's cast stays unread
        compute_server.stop()
        compute_server.wait()
        assert client.post(f"/v2.1/servers/{server_id}/action", json={"os-stop": None}).status_code == 202
        nova.managers["compute1"].init_host(oslo_context.RequestContext(is_admin=True, overwrite=False))
        assert settle(client, server_id)["status"] == "SHUTOFF"
    compute = (tmp_path / "logs" / "nova-compute.log").read_text()
    assert "Instance in transitional state powering-off at start-up retrying stop request" in compute
    result = check([tmp_path / "logs"]).as_dict()
    assert [(op["operation"], op["status"]) for op in result["operations"]] == [
        ("boot", "ok"), ("stop", "incomplete"), ("stop_at_start_up", "ok")]
    assert result["operations"][2]["deviations"] == []
