"""Mini-Nova's services built one at a time: all in one process (``MiniNova``) or one per process.

``novatrace serve --role api|scheduler|conductor|compute [--host NAME]`` runs one Nova service
in its own process.  With ``--transport rabbit://…`` and one ``--db`` for all (SQLite on one
machine, PostgreSQL across machines) the processes form one Nova, as a deployment's do:

* ``api`` serves the Compute API and casts to the conductor and the computes;
* ``scheduler`` answers ``select_destinations`` from the compute nodes in the database, read
  again at every request, so a compute that starts later is used from then on;
* ``conductor`` writes the database for the computes and runs boot and rebuild;
* ``compute`` takes over its host's instances (Nova's ``init_host``), starts consuming
  ``compute.<host>`` and then registers its node: once the node is in the database, the host
  is ready for instances.

Log files: ``nova-api.log``, ``nova-scheduler.log`` and ``nova-conductor.log`` in the log
directory, each compute host's ``nova-compute.log`` in a directory named after the host
(``logs/compute1/nova-compute.log``), the layout ``novatrace check`` takes a host from.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from oslo_context import context as oslo_context

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

__all__ = ["DEFAULT_IMAGE_ID", "DEFAULT_RESOURCES", "ROLES", "ApiService", "ComputeService", "HostResources",
           "Shared", "conductor_server", "run_role", "scheduler_server", "serve_app", "stop_servers"]

ROLES = ("api", "scheduler", "conductor", "compute")
DEFAULT_IMAGE_ID = "0bb2cf4c-5ebe-4b5e-9f35-bd81bb3e4d43"
DEFAULT_IMAGE_NAME = "cirros-0.3.4-x86_64-uec"


@dataclass(frozen=True)
class HostResources:
    """What each compute host offers (a devstack VM's size by default)."""

    memory_mb: int = 16048
    vcpus: int = 8
    local_gb: int = 200


DEFAULT_RESOURCES = HostResources()


class Shared:
    """What the services of one process share: the transport, the database and the log files."""

    def __init__(self, transport_url: str, db_url: str, logs: NovaLogs) -> None:
        self.logs = logs
        self.style = logs.style
        self.db = Database(db_url)
        try:
            self.transport = messaging.get_transport(transport_url)
        except Exception:
            self.db.dispose()
            raise

    def close(self) -> None:
        self.transport.cleanup()
        self.logs.close()
        self.db.dispose()


class ApiService:
    """nova-api: the REST app over the database and the RPC clients it casts through."""

    def __init__(self, shared: Shared, token: str | None = None) -> None:
        self.style = shared.style
        self.token = token
        self.db = shared.db
        self.api_log = shared.logs.service("nova-api")
        self.compute = ComputeAPI(shared.transport, self.api_log)
        self.compute_task = ComputeTaskAPI(shared.transport, self.api_log, shared.style)
        if self.db.get_image(DEFAULT_IMAGE_ID) is None:
            # two API processes starting together may both find it missing: one insert wins
            with contextlib.suppress(sa.exc.IntegrityError):
                # devstack's cirros "uec" image is an AMI: its disk is raw, so Nova uses it as is.
                self.db.create_image({"id": DEFAULT_IMAGE_ID, "name": DEFAULT_IMAGE_NAME,
                                      "status": "active", "size": 25165824, "disk_format": "ami",
                                      "container_format": "ami"})
        self.app = create_app(self)


def scheduler_server(shared: Shared):
    """nova-scheduler's RPC server (topic ``scheduler``); started by the caller."""
    log = shared.logs.service("nova-scheduler")
    return messaging.get_server(shared.transport, "scheduler", "scheduler",
                                [SchedulerManager(shared.db, log, shared.style)])


def conductor_server(shared: Shared):
    """nova-conductor's RPC server (topic ``conductor``); started by the caller."""
    log = shared.logs.service("nova-conductor")
    manager = ConductorManager(shared.db, SchedulerAPI(shared.transport, log),
                               ComputeAPI(shared.transport, log), log, shared.style)
    return messaging.get_server(shared.transport, "conductor", "conductor", [manager])


class ComputeService:
    """nova-compute of one host: its manager, its driver and its RPC server (``compute.<host>``)."""

    def __init__(self, shared: Shared, host: str, state_dir: Path, driver: str = "fake",
                 timing: Timing | None = None, resources: HostResources = DEFAULT_RESOURCES,
                 libvirt_uri: str | None = None) -> None:
        self.host = host
        self.db = shared.db
        self.resources = resources
        log = shared.logs.compute(host)
        cls, style = driver_class(driver), shared.style

        options = {"uri": libvirt_uri} if libvirt_uri else {}

        def factory(emit):
            return cls(host, str(state_dir / host), log, style, emit, timing, **options)

        self.manager = ComputeManager(host, factory, ConductorAPI(shared.transport, log), log, style,
                                      {"memory_mb": resources.memory_mb}, timing)
        self.server = messaging.get_server(shared.transport, "compute", host, [self.manager])

    def register(self) -> None:
        """Put (back) this host's node in the database, where the scheduler finds it."""
        self.db.register_node(self.host, self.resources.memory_mb, self.resources.vcpus,
                              self.resources.local_gb)

    def init_host(self) -> None:
        """Take over the instances a previous run of this host left (Nova's ``init_host``)."""
        context = oslo_context.RequestContext(is_admin=True, overwrite=False)
        self.manager.conductor.wait_until_ready(context)
        self.manager.init_host(context)


def stop_servers(servers: list) -> None:
    """Stop RPC servers and wait for their in-flight work, all together (each wait polls ~1 s)."""
    for server in servers:
        server.stop()
    waiting = [threading.Thread(target=server.wait) for server in servers]
    for thread in waiting:
        thread.start()
    for thread in waiting:
        thread.join()


def serve_app(app, host: str = "127.0.0.1", port: int = 8774) -> None:
    """Serve the API app on ``host:port`` until interrupted (uvicorn)."""
    import uvicorn

    # The event loop thread shares the GIL with every RPC worker: a short switch interval
    # keeps a request from waiting 5 ms behind each busy thread at every step.
    sys.setswitchinterval(0.0005)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    uvicorn.Server(config).run()


def _check_listen(host: str, port: int) -> None:
    """ValueError when ``host:port`` cannot be bound, before the API is built."""
    import socket

    try:
        with socket.create_server((host, port)):
            pass
    except OSError as error:
        raise ValueError(f"--listen {host}:{port}: {error.strerror}") from None


def _until_signalled() -> None:
    """Block until SIGTERM or SIGINT, as a Nova service runs until its process is told to stop."""
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())
    while not stop.wait(1.0):
        pass


def run_role(role: str, *, log_dir: Path, state_dir: Path, transport_url: str, db_url: str | None,
             style: str = "2016", host: str | None = None, listen: tuple[str, int] = ("127.0.0.1", 8774),
             driver: str = "fake", timing: str = "fast", token: str | None = None,
             rpc_workers: int = 8, libvirt_uri: str | None = None) -> None:
    """Run one service in this process until SIGTERM or SIGINT.

    ValueError for an unknown role, driver, timing or log style, before anything starts.
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r} (expected one of {', '.join(ROLES)})")
    host = host or os.uname().nodename
    driver_class(driver)
    steps = Timing.named(timing)
    if role == "api":
        _check_listen(*listen)
    state_dir.mkdir(parents=True, exist_ok=True)
    logs = NovaLogs(log_dir / host if role == "compute" else log_dir, style, (host,), pid=os.getpid())
    shared = Shared(transport_url, db_url or f"sqlite:///{state_dir / 'nova.sqlite'}", logs)
    try:
        if role == "api":
            serve_app(ApiService(shared, token).app, *listen)
            return
        if role == "compute":
            compute = ComputeService(shared, host, state_dir, driver, steps, libvirt_uri=libvirt_uri)
            compute.init_host()
            server = compute.server
        else:
            server = (scheduler_server if role == "scheduler" else conductor_server)(shared)
        server.start(override_pool_size=rpc_workers)
        if role == "compute":
            compute.register()
        _until_signalled()
        stop_servers([server])
        if role == "compute":
            compute.manager.driver.close()
    finally:
        shared.close()
