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
import uuid as uuidlib
from pathlib import Path

from analyzer.replay.logs import NovaLogs
from analyzer.replay.roles import (
    DEFAULT_IMAGE_ID,
    DEFAULT_RESOURCES,
    ApiService,
    ComputeService,
    HostResources,
    Shared,
    conductor_server,
    scheduler_server,
    serve_app,
    stop_servers,
)
from analyzer.replay.timing import Timing

__all__ = ["DEFAULT_IMAGE_ID", "HostResources", "MiniNova"]


class MiniNova:
    """The whole mini-Nova in one process; ``start()``/``stop()`` or a ``with`` block.

    Each service is built as ``novatrace serve --role`` builds it alone (roles.py), here
    over one transport, one database and one set of log files.
    """

    def __init__(self, log_dir: str | Path, state_dir: str | Path | None = None, db_url: str | None = None,
                 transport_url: str = "fake://", style: str = "2016", computes: int = 1,
                 driver: str = "fake", timing: str = "fast", token: str | None = None,
                 resources: HostResources = DEFAULT_RESOURCES, rpc_workers: int = 8,
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
        if libvirt_uri and driver != "libvirt":
            raise ValueError("--libvirt-uri is for --driver libvirt")
        for name in ("nova-api", "nova-conductor", "nova-scheduler"):  # each keeps the pid it always had
            self.logs.service(name)
        self._shared = Shared(transport_url, db_url or f"sqlite:///{self.state_dir / 'nova.sqlite'}",
                              self.logs)
        self.db = self._shared.db
        self.transport = self._shared.transport
        self.resources = resources

        self.timing = Timing.named(timing)
        computes_ = [ComputeService(self._shared, host, self.state_dir, driver, self.timing, resources,
                                    libvirt_uri=libvirt_uri)
                     for host in self.hosts]
        for compute in computes_:
            compute.register()
        self.managers = {compute.host: compute.manager for compute in computes_}
        self._servers = [scheduler_server(self._shared), conductor_server(self._shared),
                         *(compute.server for compute in computes_)]
        api = ApiService(self._shared, token)
        self.api_log, self.compute, self.compute_task = api.api_log, api.compute, api.compute_task
        self.app = api.app
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
            stop_servers(self._servers[2:])
            stop_servers(self._servers[:2])
            self._started = False
        for manager in self.managers.values():
            manager.driver.close()
        self._shared.close()
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
        serve_app(self.app, host, port)

    @staticmethod
    def new_request_id() -> str:
        return f"req-{uuidlib.uuid4()}"
