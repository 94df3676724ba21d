"""A real OpenStack client against mini-Nova on a socket: openstacksdk, no authentication."""

from __future__ import annotations

import socket
import threading
import time
import warnings

import openstack
import pytest
import uvicorn

from analyzer.replay import DEFAULT_IMAGE_ID, MiniNova


@pytest.fixture(scope="module")
def conn(tmp_path_factory):
    directory = tmp_path_factory.mktemp("sdk")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with MiniNova(log_dir=directory / "logs", state_dir=directory / "state", style="current") as nova:
        server = uvicorn.Server(uvicorn.Config(nova.app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield openstack.connect(auth_type="none",
                                    compute_endpoint_override=f"http://127.0.0.1:{port}/v2.1")
        server.should_exit = True
        thread.join(timeout=10)


def _settled(conn, server, status: str, timeout: float = 20.0):
    """The server once it shows `status` with no task pending (fetched afresh each time)."""
    deadline = time.monotonic() + timeout
    while True:
        current = conn.compute.get_server(server)
        if current.status == status and current.task_state is None:
            return current
        assert time.monotonic() < deadline, f"{current.status}/{current.task_state}, wanted {status}"
        time.sleep(0.02)


def test_openstacksdk_drives_every_operation(conn):
    assert {flavor.name for flavor in conn.compute.flavors()} >= {"m1.tiny", "m1.small"}
    server = conn.compute.create_server(name="sdk1", image_id=DEFAULT_IMAGE_ID, flavor_id="1")
    assert server.id in {listed.id for listed in conn.compute.servers()}
    server = _settled(conn, server, "ACTIVE")
    assert (server.vm_state, server.power_state) == ("active", 1)
    steps = [
        (conn.compute.pause_server, "PAUSED", ("paused", 3)),
        (conn.compute.unpause_server, "ACTIVE", ("active", 1)),
        (conn.compute.suspend_server, "SUSPENDED", ("suspended", 4)),
        (conn.compute.resume_server, "ACTIVE", ("active", 1)),
        (conn.compute.stop_server, "SHUTOFF", ("stopped", 4)),
        (conn.compute.start_server, "ACTIVE", ("active", 1)),
        (lambda s: conn.compute.reboot_server(s, "SOFT"), "ACTIVE", ("active", 1)),
        (lambda s: conn.compute.reboot_server(s, "HARD"), "ACTIVE", ("active", 1)),
        (conn.compute.rescue_server, "RESCUE", ("rescued", 1)),
        (conn.compute.unrescue_server, "ACTIVE", ("active", 1)),
        # (the proxy's create_server_image then asks the image service; mini-Nova has none)
        (lambda s: s.create_image(conn.compute, "sdk-snapshot"), "ACTIVE", ("active", 1)),
        (lambda s: conn.compute.rebuild_server(s, image=DEFAULT_IMAGE_ID), "ACTIVE", ("active", 1)),
    ]
    for call, status, (vm_state, power_state) in steps:
        call(server)
        server = _settled(conn, server, status)
        assert (server.vm_state, server.power_state) == (vm_state, power_state)
    conn.compute.lock_server(server)
    assert conn.compute.get_server(server).is_locked
    with pytest.raises(openstack.exceptions.ConflictException):
        conn.compute.pause_server(server)
    conn.compute.unlock_server(server)
    assert not conn.compute.get_server(server).is_locked
    conn.compute.delete_server(server)
    conn.compute.wait_for_delete(server, interval=0.02, wait=20)
    assert server.id not in {listed.id for listed in conn.compute.servers()}
