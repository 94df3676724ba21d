"""Fixtures for mini-Nova: a running mini-Nova with an in-process client, and replayed logs."""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from analyzer.replay import DEFAULT_IMAGE_ID, MiniNova
    from analyzer.replay.scenarios import all_operations, replay

SETTLE_TIMEOUT = 20.0


@pytest.fixture(scope="session", params=[(style, driver) for driver in ("fake", "libvirt")
                                        for style in ("2016", "current")],
                ids=lambda param: "-".join(param))
def all_operations_logs(request, tmp_path_factory) -> tuple[str, Path]:
    """The logs of `novatrace replay --all-operations` in each log style, with each driver."""
    style, driver = request.param
    log_dir = tmp_path_factory.mktemp(f"replay-{style}-{driver}")
    replay([all_operations()], log_dir, style=style, driver=driver, state_dir=log_dir / "state")
    return style, log_dir


@pytest.fixture(scope="module")
def nova(tmp_path_factory):
    """A running mini-Nova (2016 style), shared by a module's tests (each boots its own servers)."""
    directory = tmp_path_factory.mktemp("mini-nova")
    with MiniNova(log_dir=directory / "logs", state_dir=directory / "state") as running:
        yield running


@pytest.fixture(scope="module")
def client(nova):
    with nova.client() as http:
        yield http


def settle(client, server_id: str, timeout: float = SETTLE_TIMEOUT) -> dict:
    """The server once no task is pending (polling, bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        server = client.get(f"/v2.1/servers/{server_id}").json()["server"]
        if server["OS-EXT-STS:task_state"] is None and server["status"] != "BUILD":
            return server
        assert time.monotonic() < deadline, f"server did not settle: {server['status']}"
        time.sleep(0.01)


def boot(client, name: str = "vm1") -> str:
    """Boot a server and wait until it is active; its id."""
    response = client.post("/v2.1/servers", json={"server": {
        "name": name, "imageRef": DEFAULT_IMAGE_ID, "flavorRef": "1"}})
    assert response.status_code == 202, response.text
    server_id = response.json()["server"]["id"]
    assert settle(client, server_id)["status"] == "ACTIVE"
    return server_id
