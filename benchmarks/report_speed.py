"""novatrace report benchmark: render time, page size and time to open in headless Chromium.

Builds a CheckResult of `--operations` operations (default 100,000) from the bundled
devstack_2016 sample (tests/report/synthetic.py copies its stories under new UUIDs,
later in time), renders it, and opens the page in Debian's Chromium through chromedriver
`--repeat` times, timing from navigation to the moment the page's script has drawn every
figure.  The real logs of ../shared/real_logs are measured the same way when present.

Usage: python benchmarks/report_speed.py [--operations N] [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

MAIN = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(MAIN))
sys.path.insert(0, str(MAIN / "tests"))

from report.conftest import chromium, open_report  # noqa: E402
from report.synthetic import scaled  # noqa: E402

from analyzer.lifecycle import check  # noqa: E402
from analyzer.report import render  # noqa: E402

REAL = MAIN.parent / "shared" / "real_logs"


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--operations", type=int, default=100_000)
    options.add_argument("--repeat", type=int, default=3)
    args = options.parse_args()

    inputs = [(f"synthetic, {args.operations:,} operations", None)]
    inputs += [(name, REAL / path) for name, path in (
        ("loghub_openstack_2k", "loghub_openstack_2k/OpenStack_2k.log"),
        ("devstack_gate_2016", "devstack_gate_2016")) if (REAL / path).exists()]
    driver_factory = chromium.__wrapped__()  # the tests' fixture, used as a generator
    driver = next(driver_factory)
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for name, path in inputs:
            started = time.perf_counter()
            if path is None:
                result = scaled(check([MAIN / "sample_logs" / "devstack_2016"]), args.operations)
            else:
                result = check([path])
            checked_s = time.perf_counter() - started
            target = Path(scratch) / "report.html"
            started = time.perf_counter()
            written = render(result, target)
            render_s = time.perf_counter() - started
            opens = [open_report(driver, target).load_seconds for _ in range(args.repeat)]
            rows.append((name, written.operations, written.instances, written.drawn, checked_s, render_s,
                         written.size / 1e6, statistics.median(opens), opens))
            print(f"{name}: render {render_s:.2f}s, {written.size / 1e6:.1f} MB, opened in "
                  + " ".join(f"{s:.2f}" for s in opens) + " s", flush=True)
    driver_factory.close()
    print("\n| input | operations | instances (drawn) | render | page | open in Chromium (median) |")
    print("|---|---|---|---|---|---|")
    for name, operations, instances, drawn, _, render_s, size, median, _ in rows:
        print(f"| {name} | {operations:,} | {instances:,} ({drawn:,}) | {render_s:.2f} s | {size:.1f} MB "
              f"| {median:.2f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
