#!/usr/bin/env bash
# Creates .venv beside the checkout and installs novatrace with its test tools.
# Safe to run again: an existing .venv is reused and brought up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "novatrace needs Python 3.11 or newer (found: $("$PYTHON" --version 2>&1))" >&2
    exit 2
fi
# The native block parser needs PCRE2's headers; without them novatrace falls back
# to its pure-Python parser (same events, about three times slower).
if ! command -v pcre2-config >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing libpcre2-dev for the native parser" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpcre2-dev >/dev/null 2>&1 || {
            apt-get update -qq >/dev/null 2>&1 &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpcre2-dev >/dev/null 2>&1; } ||
            echo "could not install libpcre2-dev: using the pure-Python parser" >&2
    else
        echo "PCRE2 headers not found (Debian: apt-get install libpcre2-dev): using the pure-Python parser" >&2
    fi
fi
# mini-Nova's libvirt driver (--driver libvirt) builds libvirt-python against libvirt's
# headers and runs qemu-img: libvirt-dev, pkg-config and qemu-utils on Debian.
if ! { pkg-config --exists libvirt 2>/dev/null && command -v qemu-img >/dev/null 2>&1; }; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing libvirt-dev, pkg-config, python3-dev and qemu-utils for the libvirt driver" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libvirt-dev pkg-config python3-dev qemu-utils >/dev/null 2>&1 || {
            apt-get update -qq >/dev/null 2>&1 &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libvirt-dev pkg-config python3-dev qemu-utils >/dev/null 2>&1; } ||
            echo "could not install libvirt-dev/qemu-utils: --driver libvirt will be unavailable" >&2
    else
        echo "libvirt headers or qemu-img not found (Debian: apt-get install libvirt-dev pkg-config" \
             "qemu-utils): --driver libvirt will be unavailable" >&2
    fi
fi
# The several-process tests of mini-Nova (tests/replay/test_multiprocess.py, test_kill_compute.py)
# talk through a real RabbitMQ and share a real PostgreSQL, both on loopback.
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    if ! { command -v rabbitmqctl >/dev/null 2>&1 && command -v pg_isready >/dev/null 2>&1; }; then
        echo "installing rabbitmq-server and postgresql for the several-process tests" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server postgresql >/dev/null 2>&1 || {
            apt-get update -qq >/dev/null 2>&1 &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server postgresql >/dev/null 2>&1; } ||
            echo "could not install rabbitmq-server/postgresql: the several-process tests will fail" >&2
    fi
    if command -v rabbitmqctl >/dev/null 2>&1 && command -v pg_isready >/dev/null 2>&1; then
        bash scripts/ci_services.sh || echo "RabbitMQ or PostgreSQL did not start" >&2
    fi
else
    echo "the several-process tests need RabbitMQ and PostgreSQL on loopback: as root on Debian," \
         "apt-get install rabbitmq-server postgresql && bash scripts/ci_services.sh" >&2
fi
EXTRAS=test
if pkg-config --exists libvirt 2>/dev/null && command -v qemu-img >/dev/null 2>&1; then
    EXTRAS=test,libvirt
fi
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[$EXTRAS]"
.venv/bin/python -c 'from analyzer.parse import fastpath; print("native parser:", "built" if fastpath.available() else "not built (pure Python)")'
