"""`novatrace parse`: output files, the table, --unknown, --jobs, the summary line, python -m."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import analyzer
from analyzer.vocab import COLUMNS

FIXTURES = Path(__file__).parent / "parse" / "fixtures" / "formats"
SUMMARY = re.compile(
    r"^parsed (?P<files>\d+) files, (?P<lines>\d+) lines, (?P<records>\d+) records, "
    r"(?P<share>[\d.]+)% recognized, (?P<unrecognized>\d+) unrecognized, "
    r"(?P<malformed>\d+) malformed"
)


@pytest.fixture(scope="module")
def expected() -> tuple[pd.DataFrame, analyzer.ParseSummary]:
    summary = analyzer.ParseSummary()
    return analyzer.parse_logs([FIXTURES], summary=summary), summary


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_parse_writes_the_documented_columns_and_the_rows_of_parse_logs(novatrace, tmp_path,
                                                                       expected, suffix):
    frame, _ = expected
    output = tmp_path / f"events{suffix}"

    result = novatrace("parse", FIXTURES, "-o", output)

    assert result.exit_code == 0, result.stderr
    assert f"wrote {len(frame)} events to {output}" in result.stderr
    if suffix == ".parquet":
        written = pd.read_parquet(output)
        assert tuple(written.columns) == COLUMNS
        pd.testing.assert_frame_equal(written, frame, check_dtype=False)
        return
    if suffix == ".csv":
        written = pd.read_csv(output, dtype=str, keep_default_na=False)
        assert tuple(written.columns) == COLUMNS
        rows = written.to_dict("records")
    else:
        rows = [json.loads(line) for line in output.read_text().splitlines()]
        assert all(tuple(row) == COLUMNS for row in rows)
    assert len(rows) == len(frame)
    assert [int(r["line"]) for r in rows] == frame["line"].tolist()
    assert [r["event"] for r in rows] == frame["event"].tolist()
    assert [r["message"] for r in rows] == frame["message"].tolist()
    times = frame["time"].map(lambda t: "" if pd.isna(t) else t.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    assert [r["time"] or "" for r in rows] == times.tolist()


def test_jsonl_fields_are_json_objects_not_strings(novatrace, tmp_path):
    output = tmp_path / "events.jsonl"
    novatrace("parse", FIXTURES / "havana.log", "-o", output)
    claim = next(json.loads(line) for line in output.read_text().splitlines()
                 if '"claim_attempt"' in line)
    assert claim["fields"] == {"memory_mb": 512, "disk_gb": 1, "vcpus": 1}


def test_without_output_parse_prints_a_table_one_line_per_record(novatrace, expected):
    result = novatrace("parse", FIXTURES / "journald.log")

    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["time", "service", "level", "instance", "event", "message"]
    assert len(lines) == 1 + 4
    assert lines[1].split()[2:6] == ["nova-compute", "DEBUG", "0e3c5a7b", "pause_start"]
    assert lines[1].endswith("Pausing")


def test_unknown_lists_unrecognized_templates_most_frequent_first(novatrace, write_log):
    header = "2016-06-28 13:53:{:02d}.000 1 INFO nova.compute.manager [-] "
    path = write_log("nova-compute.log", [
        header.format(1) + "Frobnicating volume vol-1 now",
        header.format(2) + "Reticulating splines",
        header.format(3) + "Frobnicating volume vol-22 now",
        header.format(4) + "Terminating instance",
        header.format(5) + "Frobnicating volume vol-333 now",
    ])

    result = novatrace("parse", path, "--unknown")

    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split()[:2] == ["count", "template_id"]
    assert re.match(r"^\s+3\s+[0-9a-f]{8}\s+Frobnicating volume <\*> now$", lines[1])
    assert lines[2].strip() == "e.g. Frobnicating volume vol-1 now"
    assert re.match(r"^\s+1\s+[0-9a-f]{8}\s+Reticulating splines$", lines[3])
    assert len(lines) == 4
    assert "Terminating" not in result.stdout


def test_unknown_says_so_when_every_line_is_recognized(novatrace):
    result = novatrace("parse", FIXTURES / "bare.log", "--unknown")
    assert result.stdout.strip() == "no unrecognized lines"


def test_jobs_2_gives_exactly_the_same_dataframe_as_jobs_1(novatrace, real_logs, tmp_path):
    frames = []
    for jobs in ("1", "2"):
        output = tmp_path / f"jobs{jobs}.parquet"
        result = novatrace("parse", real_logs / "devstack_gate_2016", "--jobs", jobs, "-o", output)
        assert result.exit_code == 0, result.stderr
        frames.append(pd.read_parquet(output))
    assert len(frames[0]) == 21322
    pd.testing.assert_frame_equal(frames[1], frames[0])


def test_the_library_gives_the_same_dataframe_with_2_jobs(real_logs):
    one = analyzer.parse_logs(real_logs / "devstack_gate_2016", jobs=1)
    two = analyzer.parse_logs(real_logs / "devstack_gate_2016", jobs=2)
    pd.testing.assert_frame_equal(two, one)


def test_the_summary_line_on_stderr_gives_the_counts_of_the_parse(novatrace, expected):
    _, summary = expected

    result = novatrace("parse", FIXTURES)

    found = SUMMARY.match(result.stderr.splitlines()[-1])
    assert found, result.stderr
    assert int(found["files"]) == summary.files == 8
    assert int(found["lines"]) == summary.lines
    assert int(found["records"]) == summary.records
    assert float(found["share"]) == pytest.approx(100 * summary.recognized_share, abs=0.05)
    assert int(found["unrecognized"]) == summary.unrecognized
    assert int(found["malformed"]) == summary.malformed
    assert summary.unrecognized == sum(summary.unknown.counts.values()) > 0
    assert result.stderr.splitlines()[-1].endswith("s")


def test_the_summary_counts_malformed_lines(novatrace, write_log):
    path = write_log("nova-compute.log", ["+ set -x", "+ echo hi",
                                          "2016-06-28 13:53:52.455 1 INFO nova.compute.manager "
                                          "[-] Terminating instance"])
    found = SUMMARY.match(novatrace("parse", path).stderr.splitlines()[-1])
    assert (found["lines"], found["records"], found["malformed"]) == ("3", "1", "2")
    assert found["share"] == "100.0"


def test_python_m_analyzer_parse_help_works():
    done = subprocess.run([sys.executable, "-m", "analyzer", "parse", "--help"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Usage:" in done.stdout
    for option in ("--output", "--format", "--tz", "--host", "--unknown", "--jobs"):
        assert option in done.stdout
