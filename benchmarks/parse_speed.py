"""novatrace parse-speed benchmark.

Generates (or reuses, cached under the temp dir) a synthetic Nova corpus with
`benchmarks/corpus.py`, then measures side by side in one run:

(a) a bare header-regex pass: every line `match`ed against the oslo.log layout
    regex of `grammars/records.lark`, counting matches and nothing else;
(b) drain3 template mining (`TemplateMiner()` with its default config) of each
    line's message part (on a 100,000-line slice when the corpus is larger);
(c) `analyzer.parse_logs(paths, jobs=1)` into a DataFrame;
(d) the same with `jobs=2`;
in `--repeat` rounds (default 5) that run (a) to (d) one after the other. A shared
machine's speed drifts between rounds, so each ratio is taken within a round and
the median over the rounds is reported, against its target (lines/s are medians
too); then
(e) the peak RSS of `python -m analyzer parse DIR -o out.parquet` on the
    corpus and on one half its size (bounded memory keeps the ratio near 1).

Usage: python benchmarks/parse_speed.py [--lines N | --quick] [--repeat N] [--json FILE]
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import corpus  # noqa: E402

DRAIN_SLICE = 100_000
TARGETS = {"parse_vs_regex": 0.25, "parse_vs_drain3": 2.0, "jobs2_vs_jobs1": 1.6}

# Runs one command and prints its peak RSS (KiB on Linux) from RUSAGE_CHILDREN.
# A fresh wrapper per measurement keeps one run's peak out of the next's figure.
_RSS_WRAPPER = (
    "import resource, subprocess, sys\n"
    "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, "
    "text=True)\n"
    "sys.stderr.write(rc.stderr[-2000:] if rc.returncode else '')\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "sys.exit(rc.returncode)\n"
)


def corpus_dir(lines: int, seed: int, style: str) -> Path:
    """Generate the corpus once and reuse it from the temp dir afterwards."""
    d = Path(tempfile.gettempdir()) / "novatrace-bench" / f"corpus-{style}-oslo-{lines}-seed{seed}"
    stats_file = d / "stats.json"
    if stats_file.exists():
        return d
    print(f"generating {lines:,}-line corpus in {d} ...", flush=True)
    stats = corpus.generate(d, lines, seed=seed, style=style, layout="oslo")
    print(
        f"  {stats['lines']:,} lines in {stats['seconds']:.1f}s "
        f"({stats['lines'] / stats['seconds']:,.0f} lines/s)",
        flush=True,
    )
    stats_file.write_text(json.dumps(stats, indent=1))
    return d


def log_files(d: Path) -> list[Path]:
    """The corpus's log files (not the cached stats)."""
    return sorted(p for p in d.iterdir() if p.suffix == ".log")


def count_lines(files: list[Path]) -> int:
    """Physical lines in `files`."""
    n = 0
    for f in files:
        with f.open("rb") as fh:
            n += sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
    return n


def bench_regex(files: list[Path]) -> tuple[float, int]:
    """(a) The bare oslo header regex over every line; returns (seconds, matches)."""
    from analyzer.parse.grammar import records

    match = records().layouts["oslo"].regex.match
    t0 = time.perf_counter()
    n = 0
    for f in files:
        with f.open(encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if match(line):
                    n += 1
    return time.perf_counter() - t0, n


def message_parts(files: list[Path], limit: int) -> list[str]:
    """Each line's message part (whole line for continuations), first `limit` lines, "
    "round-robin over files."""
    from analyzer.parse.grammar import records

    match = records().layouts["oslo"].regex.match
    handles = [f.open(encoding="utf-8", errors="replace") for f in files]
    out: list[str] = []
    try:
        while handles and len(out) < limit:
            for fh in list(handles):
                line = fh.readline()
                if not line:
                    handles.remove(fh)
                    fh.close()
                    continue
                line = line.rstrip("\n")
                m = match(line)
                out.append(m.group("message") if m else line)
                if len(out) >= limit:
                    break
    finally:
        for fh in handles:
            fh.close()
    return out


def bench_drain3(messages: list[str]) -> tuple[float, int]:
    """(b) drain3 mining with the default config; returns (seconds, clusters)."""
    from drain3 import TemplateMiner

    logging.getLogger("drain3").setLevel(logging.ERROR)
    miner = TemplateMiner()
    add = miner.add_log_message
    t0 = time.perf_counter()
    for msg in messages:
        add(msg)
    return time.perf_counter() - t0, len(miner.drain.clusters)


def bench_parse(files: list[Path], jobs: int) -> tuple[float, int]:
    """(c)/(d) analyzer.parse_logs into a DataFrame; returns (seconds, rows)."""
    import analyzer

    gc.collect()
    t0 = time.perf_counter()
    frame = analyzer.parse_logs([str(f) for f in files], jobs=jobs)
    secs = time.perf_counter() - t0
    rows = len(frame)
    del frame
    gc.collect()
    return secs, rows


def peak_rss_parquet(d: Path, out: Path) -> tuple[int, float]:
    """(e) Peak RSS in KiB of `python -m analyzer parse d -o out` run as a subprocess, and its "
    "wall time."""
    cmd = [sys.executable, "-m", "analyzer", "parse", str(d), "-o", str(out)]
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    t0 = time.perf_counter()
    res = subprocess.run(
        [sys.executable, "-c", _RSS_WRAPPER, *cmd],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
    )
    secs = time.perf_counter() - t0
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({res.returncode}):\n{res.stderr}")
    return int(res.stdout.strip().splitlines()[-1]), secs


def verdict(value: float, target: float) -> str:
    """PASS when value reaches the target."""
    return "PASS" if value >= target else "MISS"


def main(argv: list[str] | None = None) -> int:
    """Run every measurement and print the table."""
    ap = argparse.ArgumentParser(description="novatrace parse-speed benchmark")
    ap.add_argument("--lines", type=int, default=1_000_000, help="corpus size (default 1,000,000)")
    ap.add_argument("--quick", action="store_true", help="100,000-line smoke run")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--style", choices=("2016", "current"), default="2016")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    ap.add_argument("--repeat", type=int, default=5,
                    help="rounds; figures and ratios are medians over them (default 5)")
    args = ap.parse_args(argv)
    lines = 100_000 if args.quick else args.lines

    d = corpus_dir(lines, args.seed, args.style)
    files = log_files(d)
    total = count_lines(files)
    size = sum(f.stat().st_size for f in files)
    print(
        f"corpus: {d} ({len(files)} files, {total:,} lines, {size / 2**20:,.0f} MiB)\n", flush=True
    )
    fig: dict[str, Any] = {"corpus": str(d), "lines": total, "bytes": size, "cpus": os.cpu_count()}

    n = min(total, DRAIN_SLICE)
    messages = message_parts(files, n)
    rounds: list[dict[str, float]] = []
    counts: dict[str, int] = {}
    for round_ in range(1, max(1, args.repeat) + 1):
        times: dict[str, float] = {}
        for key, run in (
            ("regex", lambda: bench_regex(files)),
            ("drain3", lambda: bench_drain3(messages)),
            ("parse_jobs1", lambda: bench_parse(files, 1)),
            ("parse_jobs2", lambda: bench_parse(files, 2)),
        ):
            times[key], counts[key] = run()
        rounds.append(times)
        print(f"round {round_}: " + ", ".join(f"{k} {v:.2f}s" for k, v in times.items()), flush=True)
    print()
    best = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}

    secs, matches = best["regex"], counts["regex"]
    fig["regex"] = {"seconds": secs, "lines_per_s": total / secs, "matches": matches}
    print(
        f"(a) header regex        {total / secs:>12,.0f} lines/s   {secs:7.2f}s  ({matches:,} "
        "headers matched)",
        flush=True,
    )
    secs, clusters = best["drain3"], counts["drain3"]
    fig["drain3"] = {
        "seconds": secs,
        "lines": len(messages),
        "lines_per_s": len(messages) / secs,
        "clusters": clusters,
    }
    note = f"  (on a {len(messages):,}-line slice)" if len(messages) < total else ""
    print(
        f"(b) drain3 mining       {len(messages) / secs:>12,.0f} lines/s   {secs:7.2f}s  "
        f"({clusters} templates){note}",
        flush=True,
    )

    for key, label in (("parse_jobs1", "(c) parse_logs jobs=1"), ("parse_jobs2", "(d) parse_logs jobs=2")):
        secs, rows = best[key], counts[key]
        fig[key] = {"seconds": secs, "lines_per_s": total / secs, "rows": rows}
        print(
            f"{label:<23} {total / secs:>12,.0f} lines/s   {secs:7.2f}s  ({rows:,} rows)",
            flush=True,
        )
    fig["repeat"] = args.repeat
    fig["rounds"] = rounds

    drain_lines = len(messages)
    per_round = {
        "parse_vs_regex": [r["regex"] / r["parse_jobs1"] for r in rounds],
        "parse_vs_drain3": [(total / r["parse_jobs1"]) / (drain_lines / r["drain3"]) for r in rounds],
        "jobs2_vs_jobs1": [r["parse_jobs1"] / r["parse_jobs2"] for r in rounds],
    }
    ratios = {key: statistics.median(values) for key, values in per_round.items()}
    labels = {
        "parse_vs_regex": "(c)/(a)",
        "parse_vs_drain3": "(c)/(b)",
        "jobs2_vs_jobs1": "(d)/(c)",
    }
    print("\nratio    median  target  result   (per round)")
    fig["ratios"] = {}
    for k, v in ratios.items():
        fig["ratios"][k] = {"value": v, "target": TARGETS[k], "result": verdict(v, TARGETS[k]),
                            "per_round": per_round[k]}
        rounds_text = " ".join(f"{x:.2f}" for x in per_round[k])
        print(f"{labels[k]:<8} {v:6.2f}   >= {TARGETS[k]:<5} {verdict(v, TARGETS[k]):<6}   ({rounds_text})")
    if (os.cpu_count() or 1) < 2:
        print("note: fewer than 2 CPUs, so (d)/(c) cannot show a speed-up")

    half = corpus_dir(lines // 2, args.seed, args.style)
    with tempfile.TemporaryDirectory(prefix="novatrace-bench-") as tmp:
        rss_full, t_full = peak_rss_parquet(d, Path(tmp) / "full.parquet")
        rss_half, t_half = peak_rss_parquet(half, Path(tmp) / "half.parquet")
    half_lines = count_lines(log_files(half))
    fig["parquet_peak_rss"] = {
        "full": {"lines": total, "kib": rss_full, "seconds": t_full},
        "half": {"lines": half_lines, "kib": rss_half, "seconds": t_half},
        "ratio_full_over_half": rss_full / rss_half,
    }
    print("\n(e) peak RSS of `python -m analyzer parse DIR -o out.parquet`")
    print(f"    {total:>10,} lines: {rss_full / 1024:8.1f} MiB  ({t_full:.1f}s)")
    print(f"    {half_lines:>10,} lines: {rss_half / 1024:8.1f} MiB  ({t_half:.1f}s)")
    print(
        f"    ratio full/half: {rss_full / rss_half:.2f}  (bounded memory keeps this near 1; 2 "
        "means memory grows with input)"
    )

    if args.json:
        args.json.write_text(json.dumps(fig, indent=2))
        print(f"\nfigures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
