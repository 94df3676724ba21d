"""One mini-Nova process: nova-api, nova-scheduler, nova-conductor and N nova-compute hosts.

``MiniNova`` wires the services over one oslo.messaging transport (``fake://`` by default)
and one database, each service with its own log file::

    with MiniNova(log_dir="logs", state_dir="state") as nova:
        client = nova.client()           # an httpx client on the API, in-process
        client.post("/v2.1/servers", json={...})

``serve()`` runs the API on a real socket (uvicorn) for any OpenStack client.
"""

from __future__ import annotations

import tempfile
import threading
import uuid as uuidlib
from dataclasses import dataclass
from pathlib import Path

from analyzer.replay import messaging
from analyzer.replay.api.app import create_app
from analyzer.replay.compute.manager import ComputeManager
from analyzer.replay.compute.rpcapi import ComputeAPI
from analyzer.replay.conductor.db import Database
from analyzer.replay.conductor.manager import ConductorManager
from analyzer.replay.conductor.rpcapi import ComputeTaskAPI, ConductorAPI
from analyzer.replay.drivers import driver_class
from analyzer.replay.logs import NovaLogs
from analyzer.replay.scheduler.manager import SchedulerManager
from analyzer.replay.scheduler.rpcapi import SchedulerAPI
from analyzer.replay.timing import Timing

__all__ = ["DEFAULT_IMAGE_ID", "HostResources", "MiniNova"]

DEFAULT_IMAGE_ID = "0bb2cf4c-5ebe-4b5e-9f35-bd81bb3e4d43"
DEFAULT_IMAGE_NAME = "cirros-0.3.4-x86_64-uec"


@dataclass(frozen=True)
class HostResources:
    """What each compute host offers (a devstack VM's size by default)."""

    memory_mb: int = 16048
    vcpus: int = 8
    local_gb: int = 200


class MiniNova:
    """The whole mini-Nova in one process; ``start()``/``stop()`` or a ``with`` block."""

    def __init__(self, log_dir: str | Path, state_dir: str | Path | None = None, db_url: str | None = None,
                 transport_url: str = "fake://", style: str = "2016", computes: int = 1,
                 driver: str = "fake", timing: str = "fast", token: str | None = None,
                 resources: HostResources = HostResources(), rpc_workers: int = 8,
                 libvirt_uri: str | None = None) -> None:
        self.style = style
        self.token = token
        self.rpc_workers = rpc_workers
        self._tmp = None
        if state_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="mini-nova-")
            state_dir = self._tmp.name
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.hosts = tuple(f"compute{index + 1}" for index in range(computes))
        self.logs = NovaLogs(log_dir, style, self.hosts)
        self.db = Database(db_url or f"sqlite:///{self.state_dir / 'nova.sqlite'}")
        self.timing = Timing.named(timing)
        self.transport = messaging.get_transport(transport_url)
        self.driver_class = driver_class(driver)
        if libvirt_uri and driver != "libvirt":
            raise ValueError("--libvirt-uri is for --driver libvirt")
        driver_options = {"uri": libvirt_uri} if libvirt_uri else {}
        self.resources = resources

        self.api_log = self.logs.service("nova-api")
        conductor_log = self.logs.service("nova-conductor")
        scheduler_log = self.logs.service("nova-scheduler")
        self.compute = ComputeAPI(self.transport, self.api_log)
        self.compute_task = ComputeTaskAPI(self.transport, self.api_log, style)
        self._servers = [
            messaging.get_server(self.transport, "scheduler", "scheduler",
                                 [SchedulerManager(self.db, scheduler_log, style)]),
            messaging.get_server(self.transport, "conductor", "conductor", [ConductorManager(
                self.db, SchedulerAPI(self.transport, conductor_log),
                ComputeAPI(self.transport, conductor_log), conductor_log, style)]),
        ]
        self.managers: dict[str, ComputeManager] = {}
        for host in self.hosts:
            log = self.logs.compute(host)
            self.db.register_node(host, resources.memory_mb, resources.vcpus, resources.local_gb)

            def factory(emit, host=host, log=log):
                return self.driver_class(host, str(self.state_dir / host), log, style, emit, self.timing,
                                         **driver_options)

            manager = ComputeManager(host, factory, ConductorAPI(self.transport, log), log, style,
                                     {"memory_mb": resources.memory_mb}, self.timing)
            self.managers[host] = manager
            self._servers.append(messaging.get_server(self.transport, "compute", host, [manager]))
        if self.db.get_image(DEFAULT_IMAGE_ID) is None:
            # devstack's cirros "uec" image is an AMI: its disk is raw, so Nova uses it as is.
            self.db.create_image({"id": DEFAULT_IMAGE_ID, "name": DEFAULT_IMAGE_NAME, "status": "active",
                                  "size": 25165824, "disk_format": "ami", "container_format": "ami"})
        self.app = create_app(self)
        self._started = False

    def start(self) -> MiniNova:
        if not self._started:
            # A few workers per service: in one Python process more threads only queue for the GIL.
            for server in self._servers:
                server.start(override_pool_size=self.rpc_workers)
            self._started = True
        return self

    def stop(self) -> None:
        if self._started:
            # Computes first: their in-flight work still calls the conductor and the scheduler.
            # Each wait takes about a second (the worker pool's poll), so a group waits together.
            computes, central = self._servers[2:], self._servers[:2]
            for group in (computes, central):
                for server in group:
                    server.stop()
                waiting = [threading.Thread(target=server.wait) for server in group]
                for thread in waiting:
                    thread.start()
                for thread in waiting:
                    thread.join()
            self._started = False
        for manager in self.managers.values():
            manager.driver.close()
        self.transport.cleanup()
        self.logs.close()
        self.db.dispose()
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> MiniNova:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def client(self, base_url: str = "http://127.0.0.1:8774"):
        """An in-process HTTP client on the API (Starlette's TestClient over httpx)."""
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Starlette's note that httpx2 will replace httpx
            from fastapi.testclient import TestClient

        return TestClient(self.app, base_url=base_url, client=("127.0.0.1", 50000))

    def serve(self, host: str = "127.0.0.1", port: int = 8774) -> None:
        """Serve the API on ``host:port`` until interrupted (uvicorn)."""
        import sys

        import uvicorn

        # The event loop thread shares the GIL with every RPC worker: a short switch interval
        # keeps a request from waiting 5 ms behind each busy thread at every step.
        sys.setswitchinterval(0.0005)

        config = uvicorn.Config(self.app, host=host, port=port, log_level="warning", access_log=False)
        uvicorn.Server(config).run()

    @staticmethod
    def new_request_id() -> str:
        return f"req-{uuidlib.uuid4()}"
