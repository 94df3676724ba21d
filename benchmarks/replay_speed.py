"""mini-Nova replay-speed benchmark: operations per second through the HTTP API, per driver.

Starts a mini-Nova with `novatrace serve` in its own process (uvicorn on a local port,
fake:// messaging, SQLite, the fake driver by default), as any OpenStack deployment would run apart from its
clients, then replays N instances (200 by default) through their full lifecycle — the 16 operations of
`novatrace replay --all-operations`, each sent as Nova's REST call and waited for until it
settles — from W concurrent clients.  Reports operations per second against the target
(at least 100) and, with --check, checks the logs written (zero deviations expected).

`--driver libvirt` replays on libvirt domains with real qcow2 disks made by qemu-img;
`--driver both` runs fake then libvirt and prints their rates side by side.

Usage: python benchmarks/replay_speed.py [--instances N] [--workers W] [--log-style 2016|current]
       [--driver fake|libvirt|both] [--client lean|httpx] [--check] [--transport URL]
       [--side-by-side rabbit://guest:guest@127.0.0.1:5672/]

--transport runs mini-Nova over that oslo.messaging URL (fake:// by default); --side-by-side URL
runs the same workload over fake:// and over URL (RabbitMQ) and prints both rates together.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET = 100.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--instances", type=int, default=200)
    options.add_argument("--workers", type=int, default=32)
    options.add_argument("--log-style", default="2016", choices=["2016", "current"])
    options.add_argument("--driver", default="fake", choices=["fake", "libvirt", "both"],
                         help="compute driver; both: fake then libvirt, side by side")
    options.add_argument("--client", default="lean", choices=["lean", "httpx"],
                         help="HTTP client of the replaying threads (lean: keep-alive http.client)")
    options.add_argument("--check", action="store_true", help="also check the logs written")
    options.add_argument("--transport", default="fake://", help="oslo.messaging URL of mini-Nova")
    options.add_argument("--side-by-side", metavar="URL", help="compare fake:// with this transport")
    args = options.parse_args()
    if args.side_by_side:
        return _side_by_side(args)

    warnings.simplefilter("ignore")
    sys.setswitchinterval(0.0005)  # many client threads, mostly waiting on sockets
    drivers = ["fake", "libvirt"] if args.driver == "both" else [args.driver]
    rates = {driver: _measure(driver, args) for driver in drivers}
    if len(rates) > 1:
        print("driver     operations/s")
        for driver, rate in rates.items():
            print(f"{driver:<10} {rate:12.1f}")
        print(f"libvirt runs at {rates['libvirt'] / rates['fake']:.0%} of the fake driver's rate")
    return 0


class _Response:
    def __init__(self, status: int, body: bytes) -> None:
        self.status_code = status
        self.content = body

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.content)


class _KeepAliveClient:
    """The calls `run_scenario` makes, over one keep-alive `http.client` connection.

    httpx spends about 1.6 ms of CPU per request here against 0.45 ms for http.client; the
    clients share the machine's two cores with the server, so a heavy client would measure
    itself rather than mini-Nova.  `--client httpx` runs the same replay through httpx.
    """

    def __init__(self, port: int, timeout: float) -> None:
        self._connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def _send(self, method: str, path: str, headers: dict | None = None, json_body=None) -> _Response:
        sent = dict(headers or {})
        body = None
        if json_body is not None:
            body = json.dumps(json_body).encode()
            sent["Content-Type"] = "application/json"
        self._connection.request(method, path, body=body, headers=sent)
        response = self._connection.getresponse()
        return _Response(response.status, response.read())

    def get(self, path: str, headers: dict | None = None) -> _Response:
        return self._send("GET", path, headers)

    def post(self, path: str, headers: dict | None = None, json=None) -> _Response:  # noqa: A002
        return self._send("POST", path, headers, json)

    def delete(self, path: str, headers: dict | None = None) -> _Response:
        return self._send("DELETE", path, headers)

    def __enter__(self) -> _KeepAliveClient:
        return self

    def __exit__(self, *exc) -> None:
        self._connection.close()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _measure(driver: str, args: argparse.Namespace) -> float:
    """Replay with ``driver`` in a fresh `novatrace serve`; prints and returns operations/s."""
    import httpx

    from analyzer.replay.scenarios import Scenario, all_operations, run_scenario

    work = Path(tempfile.mkdtemp(prefix="replay-speed-"))
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "analyzer", "serve", "--listen", f"127.0.0.1:{port}", "--log-dir",
         str(work / "logs"), "--state-dir", str(work / "state"), "--log-style", args.log_style,
         "--driver", driver, "--transport", args.transport],
        cwd=ROOT, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("novatrace serve did not start") from None
                time.sleep(0.1)
        template = all_operations()

        def one(index: int) -> int:
            scenario = Scenario(f"vm{index}", {f"vm{index}": {"flavor": "42", "image": None}},
                                [type(op)(op.name, f"vm{index}") for op in template.operations])
            if args.client == "httpx":
                client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120)
            else:
                client = _KeepAliveClient(port, timeout=120)
            with client:
                return len(run_scenario(scenario, client, timeout=120))

        server_cpu = _cpu_seconds(server.pid)
        client_cpu = time.process_time()
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.workers) as pool:
            operations = sum(pool.map(one, range(args.instances)))
        seconds = time.perf_counter() - started
        server_cpu = _cpu_seconds(server.pid) - server_cpu
        client_cpu = time.process_time() - client_cpu
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    rate = operations / seconds
    verdict = "met" if rate >= TARGET else "MISSED"
    # The target is the fake driver's; libvirt's rate is reported beside it, not judged.
    target = f" (target >= {TARGET:.0f}: {verdict})" if driver == "fake" else ""
    print(f"{args.instances} instances, {operations} operations in {seconds:.1f} s: "
          f"{rate:.1f} operations/s{target}; "
          f"{args.workers} clients ({args.client}), log style {args.log_style}, driver {driver}, "
          f"transport {_shown(args.transport)}")
    # CPU per operation does not depend on what else the machine runs as much as the rate does.
    print(f"CPU per operation: server {server_cpu / operations * 1000:.1f} ms, "
          f"clients {client_cpu / operations * 1000:.1f} ms")
    if args.check:
        from analyzer.lifecycle import check

        result = check([work / "logs"])
        print(f"check: {len(result.as_dict()['operations'])} operations, "
              f"{result.deviation_count} deviations")
    return rate


def _shown(url: str) -> str:
    """A transport URL without its password."""
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


def _side_by_side(args: argparse.Namespace) -> int:
    """The same workload over fake:// (in-process) and over the given URL, one run after the other."""
    rows = []
    for transport in ("fake://", args.side_by_side):
        command = [sys.executable, __file__, "--instances", str(args.instances), "--workers",
                   str(args.workers), "--log-style", args.log_style, "--transport", transport]
        run = subprocess.run(command + (["--check"] if args.check else []), capture_output=True, text=True)
        if run.returncode != 0:
            print(run.stdout + run.stderr, file=sys.stderr)
            return run.returncode
        print(run.stdout, end="")
        found = re.search(r"(\d+) operations in ([\d.]+) s: ([\d.]+) operations/s", run.stdout)
        if found is None:
            print(f"no rate in the output of {' '.join(command)}", file=sys.stderr)
            return 1
        rows.append((_shown(transport), *found.groups()))
    width = max(len(row[0]) for row in rows) + 2
    print(f"\n{'transport':<{width}}{'operations':>11}{'seconds':>9}{'operations/s':>14}")
    for transport, operations, seconds, rate in rows:
        print(f"{transport:<{width}}{operations:>11}{seconds:>9}{rate:>14}")
    print(f"RabbitMQ / fake://: {float(rows[1][3]) / float(rows[0][3]):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
