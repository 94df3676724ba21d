"""Several processes: api, scheduler, conductor and two computes over RabbitMQ and PostgreSQL.

Each service is a `novatrace serve --role …` process; `novatrace replay --endpoint` drives
them as a user would; `novatrace check` must find every operation following its flow.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from analyzer.lifecycle import check

from .deployment import ROOT, Deployment, postgres_database, rabbit_vhost, replay

HOSTS = ("compute1", "compute2")


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    work = tmp_path_factory.mktemp("deployment")
    with rabbit_vhost() as (transport_url, vhost), postgres_database() as db_url:
        nova = Deployment(work, transport_url, vhost, db_url)
        try:
            for role in ("scheduler", "conductor", "api"):
                nova.start(role)
            for host in HOSTS:
                nova.start("compute", host)
            nova.wait_ready(HOSTS)
            yield nova
        finally:
            nova.stop()


@pytest.fixture(scope="module")
def replayed(deployment):
    done = replay(deployment.endpoint, "--all-operations",
                  str(ROOT / "sample_logs" / "scenarios" / "two_instances.yaml"))
    assert done.returncode == 0, done.stderr
    return done


def test_every_replayed_operation_follows_its_flow(deployment, replayed):
    assert "all-operations: 16 operations" in replayed.stdout
    assert "two-instances: 9 operations" in replayed.stdout
    result = check([deployment.log_dir]).as_dict()
    deviations = [(op["operation"], dev["kind"], dev["detail"])
                  for op in result["operations"] for dev in op["deviations"]]
    assert deviations == []
    assert len(result["operations"]) == 25
    assert {op["status"] for op in result["operations"]} == {"ok"}
    assert len(result["instances"]) == 3


def test_the_scheduler_spreads_instances_over_both_hosts(deployment, replayed):
    with deployment.db.connect() as conn:
        hosts = [row[0] for row in conn.execute(sa.text("SELECT host FROM instances"))]
    assert len(hosts) == 3 and set(hosts) == set(HOSTS)
    for host in HOSTS:  # each host's own log holds the instances it built
        log = (deployment.log_dir / host / "nova-compute.log").read_text()
        assert re.search(r"Took \d+\.\d\d seconds to spawn the instance on the hypervisor", log)


def test_each_process_writes_its_own_log_with_its_own_pid(deployment, replayed):
    files = {path.relative_to(deployment.log_dir).as_posix() for path in deployment.log_dir.rglob("*.log")}
    assert files == {"nova-api.log", "nova-scheduler.log", "nova-conductor.log",
                     "compute1/nova-compute.log", "compute2/nova-compute.log"}
    for name, path in (("api", "nova-api.log"), ("scheduler", "nova-scheduler.log"),
                       ("conductor", "nova-conductor.log"), ("compute1", "compute1/nova-compute.log")):
        pids = {line.split()[2] for line in (deployment.log_dir / path).read_text().splitlines()
                if re.match(r"\d{4}-\d\d-\d\d ", line)}
        assert pids == {str(deployment.processes[name].pid)}, name


def test_the_casts_went_through_rabbitmq(deployment, replayed):
    queues = deployment.consumers()
    for queue in ("scheduler", "conductor", "compute.compute1", "compute.compute2"):
        assert queues.get(queue) == 1, queues
    api = (deployment.log_dir / "nova-api.log").read_text()
    assert "CAST unique_id:" in api and "exchange 'nova' topic 'compute.compute" in api
