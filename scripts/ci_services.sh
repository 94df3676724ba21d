#!/usr/bin/env bash
# Start RabbitMQ and PostgreSQL on loopback for the several-process tests of mini-Nova
# (tests/replay/test_multiprocess.py, test_kill_compute.py) and wait until each answers.
# Idempotent: servers already running are left as they are; the role is created once.
# Needs root (Debian packages rabbitmq-server and postgresql, installed by .ci/run).
set -euo pipefail

PG_USER=novatrace
PG_PASSWORD=novatrace

# RabbitMQ listens on 127.0.0.1 only (AMQP and the inter-node port rabbitmqctl talks to);
# its guest user may connect from loopback.
if ! grep -qs '^NODE_IP_ADDRESS=' /etc/rabbitmq/rabbitmq-env.conf; then
    mkdir -p /etc/rabbitmq
    {
        echo "NODE_IP_ADDRESS=127.0.0.1"
        echo "SERVER_ADDITIONAL_ERL_ARGS=\"-kernel inet_dist_use_interface {127,0,0,1}\""
    } >> /etc/rabbitmq/rabbitmq-env.conf
    # a server started before this configuration listens everywhere: restart it
    if rabbitmqctl -q status >/dev/null 2>&1; then
        service rabbitmq-server restart >/dev/null
    fi
fi
if ! rabbitmqctl -q status >/dev/null 2>&1; then
    service rabbitmq-server start >/dev/null
fi
for _ in $(seq 60); do
    rabbitmqctl -q await_startup >/dev/null 2>&1 && break
    sleep 1
done
rabbitmqctl -q await_startup >/dev/null

# PostgreSQL: the Debian cluster listens on localhost by default.
if ! pg_isready -q -h 127.0.0.1; then
    service postgresql start >/dev/null
fi
for _ in $(seq 60); do
    pg_isready -q -h 127.0.0.1 && break
    sleep 1
done
pg_isready -q -h 127.0.0.1
# a role that may create the per-test databases
su postgres -c "psql -q -tAc \"SELECT 1 FROM pg_roles WHERE rolname='$PG_USER'\"" | grep -q 1 ||
    su postgres -c "psql -q -c \"CREATE ROLE $PG_USER LOGIN CREATEDB PASSWORD '$PG_PASSWORD'\""
echo "RabbitMQ and PostgreSQL answer on 127.0.0.1"
