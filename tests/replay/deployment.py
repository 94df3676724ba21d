"""Mini-Nova as a deployment: one `novatrace serve --role …` process per service, real RabbitMQ.

RabbitMQ and PostgreSQL are found on loopback (``.ci/run`` starts them with
``scripts/ci_services.sh``), or where NOVATRACE_TEST_RABBIT (a rabbit:// URL without a
virtual host) and NOVATRACE_TEST_POSTGRES (a postgresql:// URL of a role that may create
databases) say.  Each test gets a virtual host and a database of its own, so runs never see
each other's messages or rows.  A missing server fails the test with the way to start it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
RABBIT = os.environ.get("NOVATRACE_TEST_RABBIT", "rabbit://guest:guest@127.0.0.1:5672/")
POSTGRES = os.environ.get("NOVATRACE_TEST_POSTGRES",
                          "postgresql://novatrace:novatrace@127.0.0.1:5432/postgres")
START_TIMEOUT = 180.0  # five Python processes importing oslo and FastAPI on a busy 2-core machine


def _missing(what: str, installed: bool, hint: str) -> None:
    state = "does not answer" if installed else "is not installed"
    pytest.fail(f"{what} is needed and {state}: {hint} (scripts/setup.sh installs and starts it as root)")


def _rabbitmqctl(*args: str) -> str:
    return subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, text=True,
                          timeout=60).stdout


@contextmanager
def rabbit_vhost():
    """A fresh RabbitMQ virtual host for one test: its transport URL and its name."""
    if shutil.which("rabbitmqctl") is None:
        _missing("RabbitMQ", False, "apt-get install rabbitmq-server; scripts/ci_services.sh")
    vhost = f"novatrace-{uuid.uuid4().hex[:12]}"
    try:
        _rabbitmqctl("add_vhost", vhost)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        _missing("RabbitMQ", True, f"start it with scripts/ci_services.sh ({error})")
    try:
        _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        yield RABBIT.rstrip("/") + "/" + vhost, vhost
    finally:
        _rabbitmqctl("delete_vhost", vhost)


@contextmanager
def postgres_database():
    """A fresh PostgreSQL database for one test; its SQLAlchemy URL."""
    admin_url = sa.engine.make_url(POSTGRES)
    name = f"novatrace_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        admin.dispose()
        _missing("PostgreSQL", shutil.which("pg_ctlcluster") is not None,
                 f"start it with scripts/ci_services.sh ({str(error.orig).strip().splitlines()[0]})")
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Deployment:
    """The processes of one mini-Nova: ``start("compute", host="compute1")``, ``kill(…)``, ``stop()``."""

    def __init__(self, work: Path, transport_url: str, vhost: str, db_url: str, style: str = "2016") -> None:
        self.work = work
        self.log_dir = work / "logs"
        self.state_dir = work / "state"
        self.transport_url = transport_url
        self.vhost = vhost
        self.db_url = db_url
        self.style = style
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.processes: dict[str, subprocess.Popen] = {}
        self.db = sa.create_engine(db_url)

    def start(self, role: str, host: str | None = None, *options: str) -> subprocess.Popen:
        name = host or role
        command = [sys.executable, "-m", "analyzer", "serve", "--role", role, "--listen",
                   f"127.0.0.1:{self.port}", "--transport", self.transport_url, "--db", self.db_url,
                   "--log-dir", str(self.log_dir), "--state-dir", str(self.state_dir),
                   "--log-style", self.style, *options]
        if host:
            command += ["--host", host]
        output = open(self.work / f"{name}.out", "ab")  # noqa: SIM115 -- kept open by the process
        environment = {**os.environ, "PYTHONPATH": str(ROOT)}
        process = subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT,
                                   env=environment)
        output.close()
        self.processes[name] = process
        return process

    def output(self, name: str) -> str:
        return (self.work / f"{name}.out").read_text(errors="replace")

    def _alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise AssertionError(f"{name} exited with {process.returncode}:\n{self.output(name)[-2000:]}")

    def consumers(self) -> dict[str, int]:
        """RabbitMQ's queues of this deployment and how many consumers each has."""
        lines = _rabbitmqctl("list_queues", "-p", self.vhost, "name", "consumers").splitlines()
        pairs = (line.split("\t") for line in lines[1:] if "\t" in line)
        return {name: int(count) for name, count in pairs}

    def nodes(self) -> set[str]:
        try:
            with self.db.connect() as conn:
                return {row[0] for row in conn.execute(sa.text("SELECT host FROM compute_nodes"))}
        except sa.exc.DBAPIError:  # the tables are not created yet
            return set()

    def wait_ready(self, computes: tuple[str, ...], api: bool = True, timeout: float = START_TIMEOUT) -> None:
        """Until the API answers, each service consumes its queue and each compute node is registered."""
        queues = {"scheduler", "conductor", *(f"compute.{host}" for host in computes)}
        deadline = time.monotonic() + timeout
        while True:
            self._alive()
            consuming = {name for name, count in self.consumers().items() if count > 0}
            ready = queues <= consuming and set(computes) <= self.nodes()
            if ready and api:
                try:
                    ready = httpx.get(self.endpoint + "/", timeout=2).status_code == 200
                except httpx.TransportError:
                    ready = False
            if ready:
                return
            assert time.monotonic() < deadline, (
                f"mini-Nova not ready in {timeout:.0f}s: consuming {sorted(consuming)}, nodes {self.nodes()}")
            time.sleep(0.5)

    def kill(self, name: str) -> None:
        """SIGKILL: the process gets no chance to finish anything."""
        process = self.processes.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)
        self.processes.clear()
        self.db.dispose()


def replay(endpoint: str, *arguments: str) -> subprocess.CompletedProcess:
    """`novatrace replay … --endpoint` as a user runs it."""
    return subprocess.run([sys.executable, "-m", "analyzer", "replay", *arguments, "--endpoint", endpoint],
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                          text=True, timeout=600)
