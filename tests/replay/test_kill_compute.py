"""A compute process killed mid-operation, then restarted (RabbitMQ, one SQLite file shared).

oslo.messaging acknowledges an RPC message before it dispatches it (at most once), so the
cast a killed compute was working on is not redelivered.  What is left is what Nova leaves:
the instance stays in its task_state, the compute's action event never finishes, and
`novatrace check` reports the operation `incomplete`.  The restarted compute takes the
instance over as Nova's ``init_host`` does (an interrupted stop is done again) and serves
new operations.
"""

from __future__ import annotations

import time

import httpx
import pytest
import sqlalchemy as sa

from analyzer.lifecycle import check

from .deployment import Deployment, rabbit_vhost

IMAGE = "0bb2cf4c-5ebe-4b5e-9f35-bd81bb3e4d43"


def _server(client: httpx.Client, server_id: str) -> dict:
    return client.get(f"/v2.1/servers/{server_id}").json()["server"]


def _until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} within {timeout:.0f}s"
        time.sleep(0.05)


@pytest.fixture
def nova(tmp_path):
    with rabbit_vhost() as (transport_url, vhost):
        deployment = Deployment(tmp_path, transport_url, vhost, f"sqlite:///{tmp_path / 'nova.sqlite'}")
        try:
            for role in ("scheduler", "conductor", "api"):
                deployment.start(role)
            # realistic timing: a clean shutdown takes seconds, long enough to kill the compute in it
            deployment.start("compute", "compute1", "--timing", "realistic")
            deployment.wait_ready(("compute1",))
            yield deployment
        finally:
            deployment.stop()


def test_a_compute_killed_mid_stop_leaves_it_incomplete_and_resumes_after_restart(nova):
    compute_log = nova.log_dir / "compute1" / "nova-compute.log"
    with httpx.Client(base_url=nova.endpoint, timeout=30) as client:
        created = client.post("/v2.1/servers", json={"server": {
            "name": "vm1", "imageRef": IMAGE, "flavorRef": "1"}})
        assert created.status_code == 202, created.text
        server_id = created.json()["server"]["id"]
        _until(lambda: _server(client, server_id)["status"] == "ACTIVE", 60, "vm1 active")

        stop = client.post(f"/v2.1/servers/{server_id}/action", json={"os-stop": None})
        assert stop.status_code == 202
        stop_request = stop.headers["x-openstack-request-id"]
        _until(lambda: f"[instance: {server_id}] Shutting down instance from state 1"
               in compute_log.read_text(), 30, "the compute began the clean shutdown")
        nova.kill("compute1")

        # What the user sees: the instance stays in the task state the stop left it in …
        server = _server(client, server_id)
        assert (server["status"], server["OS-EXT-STS:task_state"]) == ("ACTIVE", "powering-off")
        with nova.db.connect() as conn:
            task_state = conn.execute(sa.text("SELECT task_state FROM instances WHERE uuid = :uuid"),
                                      {"uuid": server_id}).scalar_one()
        assert task_state == "powering-off"
        # … and the compute's event of the stop action never finished (the message is not redelivered).
        action = client.get(f"/v2.1/servers/{server_id}/os-instance-actions/{stop_request}").json()
        events = [(event["event"], event["finish_time"]) for event in action["instanceAction"]["events"]]
        assert events == [("compute_stop_instance", None)]

        # `novatrace check` reports the stop incomplete, with the lines it got to as evidence.
        result = check([nova.log_dir]).as_dict()
        stops = [op for op in result["operations"] if op["operation"] == "stop"]
        assert len(stops) == 1 and stops[0]["status"] == "incomplete"
        assert (stops[0]["instance"], stops[0]["request_id"]) == (server_id, stop_request)
        (deviation,) = stops[0]["deviations"]
        assert deviation["kind"] == "incomplete"
        last = deviation["evidence"][-1]
        assert last["source"].endswith("compute1/nova-compute.log")
        assert last["text"] == "Shutting down instance from state 1"

        # The restarted compute does the interrupted stop again (Nova's init_host) and serves anew.
        nova.start("compute", "compute1", "--timing", "realistic")
        nova.wait_ready(("compute1",))
        server = _until(lambda: (lambda s: s if s["OS-EXT-STS:task_state"] is None else None)(
            _server(client, server_id)), 60, "the restarted compute to finish the stop")
        assert server["status"] == "SHUTOFF"
        assert (f"[instance: {server_id}] Instance in transitional state powering-off at start-up retrying "
                "stop request") in compute_log.read_text()
        assert client.post(f"/v2.1/servers/{server_id}/action", json={"os-start": None}).status_code == 202
        _until(lambda: _server(client, server_id)["status"] == "ACTIVE", 60, "the start after the restart")

    # The whole story: the stop cut short, the compute's own stop at start-up, the user's start.
    result = check([nova.log_dir]).as_dict()
    statuses = [(op["operation"], op["status"]) for op in result["operations"]]
    assert statuses == [("boot", "ok"), ("stop", "incomplete"), ("stop_at_start_up", "ok"), ("start", "ok")]
    assert [dev["kind"] for op in result["operations"] for dev in op["deviations"]] == ["incomplete"]
