"""mini-Nova replay-speed benchmark: operations per second through the HTTP API, fake driver.

Starts a mini-Nova with `novatrace serve` in its own process (uvicorn on a local port,
fake:// messaging, SQLite, fake driver), as any OpenStack deployment would run apart from its
clients, then replays N instances (200 by default) through their full lifecycle — the 16 operations of
`novatrace replay --all-operations`, each sent as Nova's REST call and waited for until it
settles — from W concurrent clients.  Reports operations per second against the target
(at least 100) and, with --check, checks the logs written (zero deviations expected).

Usage: python benchmarks/replay_speed.py [--instances N] [--workers W] [--log-style 2016|current]
       [--check] [--transport URL] [--side-by-side rabbit://guest:guest@127.0.0.1:5672/]

--transport runs mini-Nova over that oslo.messaging URL (fake:// by default); --side-by-side URL
runs the same workload over fake:// and over URL (RabbitMQ) and prints both rates together.
"""

from __future__ import annotations

import argparse
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
    options.add_argument("--check", action="store_true", help="also check the logs written")
    options.add_argument("--transport", default="fake://", help="oslo.messaging URL of mini-Nova")
    options.add_argument("--side-by-side", metavar="URL", help="compare fake:// with this transport")
    args = options.parse_args()
    if args.side_by_side:
        return _side_by_side(args)

    warnings.simplefilter("ignore")
    sys.setswitchinterval(0.0005)  # many client threads, mostly waiting on sockets
    import httpx

    from analyzer.replay.scenarios import Scenario, all_operations, run_scenario

    work = Path(tempfile.mkdtemp(prefix="replay-speed-"))
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "analyzer", "serve", "--listen", f"127.0.0.1:{port}", "--log-dir",
         str(work / "logs"), "--state-dir", str(work / "state"), "--log-style", args.log_style,
         "--transport", args.transport],
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
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
                return len(run_scenario(scenario, client, timeout=120))

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.workers) as pool:
            operations = sum(pool.map(one, range(args.instances)))
        seconds = time.perf_counter() - started
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    rate = operations / seconds
    verdict = "met" if rate >= TARGET else "MISSED"
    print(f"{args.instances} instances, {operations} operations in {seconds:.1f} s: "
          f"{rate:.1f} operations/s (target >= {TARGET:.0f}: {verdict}); "
          f"{args.workers} clients, log style {args.log_style}, transport {_shown(args.transport)}")
    if args.check:
        from analyzer.lifecycle import check

        result = check([work / "logs"])
        print(f"check: {len(result.as_dict()['operations'])} operations, "
              f"{result.deviation_count} deviations")
    return 0


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
