"""The parse pipeline: parallel parsing, and cleaning up after it."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import pandas as pd
import pytest

import analyzer
from analyzer.parse import merge, pipeline, sources, workers

REAL_LOGS = Path(__file__).resolve().parents[2].parent / "shared" / "real_logs"


def worker_files() -> set[str]:
    shared = workers._SHARED or Path(tempfile.gettempdir())
    return {p.name for p in shared.glob("novatrace-*.arrow")}


def test_a_parallel_parse_stopped_early_leaves_no_worker_files(real_logs, monkeypatch) -> None:
    # Worker processes (the Python parser's) leave their tables as files; small blocks
    # and chunks leave many results with the workers at the first chunk.
    monkeypatch.setenv("NOVATRACE_PURE_PYTHON", "1")
    monkeypatch.setattr(merge, "OUTPUT_ROWS", 1000)
    monkeypatch.setattr(pipeline, "read_blocks",
                        functools.partial(sources.read_blocks, block_bytes=32 * 1024))
    before = worker_files()
    stream = pipeline.parse_stream([real_logs / "devstack_gate_2016"], jobs=3)
    assert next(stream).num_rows > 0
    stream.close()
    assert worker_files() == before


@pytest.mark.parametrize("pure", [False, True], ids=["threads (native)", "processes (python)"])
def test_three_jobs_give_the_same_events_as_one(real_logs, monkeypatch, pure) -> None:
    if pure:
        monkeypatch.setenv("NOVATRACE_PURE_PYTHON", "1")
    one = analyzer.parse_logs([real_logs / "kilo_live_migration"], jobs=1)
    three = analyzer.parse_logs([real_logs / "kilo_live_migration"], jobs=3)
    pd.testing.assert_frame_equal(one, three)
