"""novatrace check-speed in instructions: `check` against `parse` alone, counted by cachegrind.

The wall-time benchmark (`check_speed.py`) runs on shared virtual machines whose CPU speed
swings from round to round (the same parse took 3.4 to 6.8 s in one run of 21 rounds).
Instructions executed do not depend on the neighbours: this script counts them with
`valgrind --tool=cachegrind` for (a) `analyzer.parse_logs(paths)` and (b)
`analyzer.lifecycle.check(paths)` with its text summary, each after the same warm-up (the
bundled sample logs parsed and checked, so grammar and flows are compiled already), and
prints (b)/(a) beside the target of `check_speed.py`.  Instructions are not time (Python
object code stalls on memory more than the parse's C loops do), so it is a steady
cross-check of the wall-time ratio, not a replacement.

Usage: python benchmarks/check_instructions.py [--lines N]   (valgrind must be installed;
100,000 lines take about 4 minutes, the runs two at a time on a 2-core machine)
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from check_speed import TARGET  # noqa: E402
from parse_speed import corpus_dir, log_files  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MODES = ("warm-up", "parse", "check")


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--lines", type=int, default=100_000)
    options.add_argument("--seed", type=int, default=0)
    options.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    args = options.parse_args()
    if args.lines < 1:
        options.error("--lines must be at least 1")
    if not args.child and shutil.which("valgrind") is None:  # said before a corpus is generated
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 2
    files = [str(f) for f in log_files(corpus_dir(args.lines, args.seed, "2016"))]
    if args.child:
        _child(args.child, files)
        return 0
    print(f"corpus: {Path(files[0]).parent} ({len(files)} files, {args.lines:,} lines)")
    print("counting instructions under cachegrind (three runs, two at a time) ...", flush=True)
    with ThreadPoolExecutor(max_workers=2) as pool:
        counts = dict(zip(MODES, pool.map(lambda mode: _count(mode, args), MODES), strict=True))
    parse = counts["parse"] - counts["warm-up"]
    check = counts["check"] - counts["warm-up"]
    ratio = check / parse
    print(f"(a) parse_logs   {parse / 1e6:,.0f} M instructions")
    print(f"(b) check        {check / 1e6:,.0f} M instructions")
    print(f"(b)/(a) {ratio:.2f} in instructions  (target of the wall-time ratio <= {TARGET})")
    return 0


def _child(mode: str, files: list[str]) -> None:
    """What one cachegrind run executes: the warm-up, then the side it measures."""
    import analyzer
    from analyzer.lifecycle import check
    from analyzer.lifecycle.text import summary

    samples = [str(ROOT / "sample_logs")]
    analyzer.parse_logs(samples)
    summary(check(samples))
    if mode == "parse":
        analyzer.parse_logs(files)
    elif mode == "check":
        summary(check(files))


def _count(mode: str, args: argparse.Namespace) -> int:
    """Instructions of one run of this script as `--child mode` under cachegrind."""
    command = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
               sys.executable, __file__, "--child", mode,
               "--lines", str(args.lines), "--seed", str(args.seed)]
    environment = {**os.environ, "PYTHONHASHSEED": "0"}  # the same dict layouts in every run
    done = subprocess.run(command, capture_output=True, text=True, env=environment, check=False)
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"cachegrind run '{mode}' failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


if __name__ == "__main__":
    sys.exit(main())
