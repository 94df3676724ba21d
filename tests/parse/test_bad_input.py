"""Bad requests are refused in one line; bad input is read as far as it goes, never a crash."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import pandas as pd
import pytest

import analyzer
from analyzer.parse.sources import MAX_LINE

FIXTURES = Path(__file__).parent / "fixtures" / "formats"
HEADER = "2016-06-28 13:53:52.455 29046 INFO nova.compute.manager [-] "


def parse(path: Path) -> tuple[pd.DataFrame, analyzer.ParseSummary]:
    summary = analyzer.ParseSummary()
    return analyzer.parse_logs(path, summary=summary), summary


def warnings_of(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("novatrace: warning:")]


# --- requests that cannot be met: exit 2, one line --------------------------------------------

REFUSED = {
    "missing path": (["parse", "{tmp}/no-such.log"], "no-such.log: no such file or directory"),
    "unknown format": (["parse", "{log}", "--format", "syslog-ng"], "unknown format 'syslog-ng'"),
    "unknown time zone": (["parse", "{log}", "--tz", "Mars/Olympus"], "unknown time zone"),
    "unknown output type": (["parse", "{log}", "-o", "{tmp}/events.xlsx"], "unknown output type"),
    "output directory missing": (["parse", "{log}", "-o", "{tmp}/nowhere/events.csv"],
                                 "does not exist"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_request_that_cannot_be_met_is_refused_in_one_line_with_exit_2(novatrace, tmp_path,
                                                                        case):
    args, reason = REFUSED[case]
    log = FIXTURES / "havana.log"
    result = novatrace(*(a.format(tmp=tmp_path, log=log) for a in args))

    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("novatrace: error: ")
    assert reason in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "events.xlsx").exists()


@pytest.mark.parametrize("case", ["missing path", "unknown format", "unknown time zone"])
def test_a_refused_request_prints_nothing_on_stdout(novatrace, tmp_path, case):
    args, _ = REFUSED[case]
    result = novatrace(*(a.format(tmp=tmp_path, log=FIXTURES / "havana.log") for a in args))
    assert result.exit_code == 2
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"paths": ["/no/such/file.log"]}, "no such file"),
        ({"format": "syslog-ng"}, "unknown format"),
        ({"tz": "Mars/Olympus"}, "unknown time zone"),
        ({"jobs": 0}, "at least 1"),
    ],
)
def test_the_library_raises_input_error_for_the_same_requests(options, match):
    paths = options.pop("paths", [FIXTURES / "havana.log"])
    with pytest.raises(analyzer.InputError, match=match):
        analyzer.parse_logs(paths, **options)


def test_the_library_refuses_an_output_of_unknown_type_before_reading(tmp_path):
    with pytest.raises(analyzer.InputError, match="unknown output type"):
        analyzer.parse_to_file([tmp_path / "missing.log"], tmp_path / "events.xlsx")


# --- bad input: exit 0, read as far as it goes -----------------------------------------------


def test_a_text_file_with_no_nova_line_is_counted_as_malformed(novatrace, write_log):
    path = write_log("notes.txt", ["shopping list", "- milk", "- eggs and 12 apples"])

    result = novatrace("parse", path)
    _, summary = parse(path)

    assert result.exit_code == 0
    assert any("no line has a Nova log record header" in w for w in warnings_of(result))
    assert (summary.records, summary.malformed, summary.lines) == (0, 3, 3)
    assert "0 records" in result.stderr and "3 malformed" in result.stderr


def test_a_binary_file_is_read_as_text_with_a_warning(novatrace, tmp_path):
    noise = random.Random(7).randbytes(200_000)
    path = tmp_path / "core.log"
    path.write_bytes(noise + b"\x00\x00\n" + (HEADER + "Terminating instance\n").encode())

    result = novatrace("parse", path)
    frame, summary = parse(path)

    assert result.exit_code == 0, result.stderr
    assert any("binary content (NUL bytes)" in w for w in warnings_of(result))
    assert "Traceback" not in result.stderr
    assert frame["event"].tolist()[-1] == "terminate_start"
    assert summary.malformed > 0


@pytest.fixture
def truncated_gz(real_logs: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A real log (68 KB) gzipped and cut in half, with the original."""
    original = real_logs / "havana_lab" / "nova-conductor.log"
    packed = gzip.compress(original.read_bytes())
    path = tmp_path / "nova-conductor.log.gz"
    path.write_bytes(packed[: len(packed) // 2])
    return path, original


def test_a_truncated_gz_is_reported_and_not_a_crash(novatrace, truncated_gz):
    path, _ = truncated_gz
    result = novatrace("parse", path)

    assert result.exit_code == 0
    assert any("reading stopped early" in w and "truncated" in w for w in warnings_of(result))
    assert "Traceback" not in result.stderr


def test_a_truncated_gz_gives_the_records_before_the_cut(truncated_gz):
    path, original = truncated_gz
    whole, _ = parse(original)
    frame, summary = parse(path)

    assert 0 < summary.records < len(whole)
    lines = frame["line"].tolist()
    assert lines == whole["line"].tolist()[: len(lines)]
    assert frame["message"].iloc[:-1].tolist() == whole["message"].iloc[: len(lines) - 1].tolist()


def test_an_empty_file_gives_no_records_and_a_warning(novatrace, tmp_path):
    path = tmp_path / "nova-api.log"
    path.write_bytes(b"")

    result = novatrace("parse", path)
    frame, summary = parse(path)

    assert result.exit_code == 0
    assert any("empty file" in w for w in warnings_of(result))
    assert frame.empty and list(frame.columns) == list(analyzer.parse_logs(
        FIXTURES / "bare.log").columns)
    assert (summary.files, summary.lines, summary.records) == (1, 0, 0)


def test_non_utf8_bytes_become_replacement_characters_and_the_line_is_kept(tmp_path):
    path = tmp_path / "nova-compute.log"
    path.write_bytes(HEADER.encode() + b"VM In pausa \xe8\xff (Lifecycle Event) tail kept\n"
                     + (HEADER + "Terminating instance\n").encode())

    frame, summary = parse(path)

    assert summary.records == 2
    assert frame["message"].iloc[0] == "VM In pausa \ufffd\ufffd (Lifecycle Event) tail kept"
    assert frame["event"].iloc[1] == "terminate_start"


def test_a_5_mb_line_is_cut_and_the_lines_after_it_still_parse(novatrace, tmp_path):
    path = tmp_path / "nova-compute.log"
    path.write_bytes((HEADER + "x" * 5_000_000 + "\n" + HEADER + "Terminating instance\n").encode())

    result = novatrace("parse", path)
    frame, summary = parse(path)

    assert result.exit_code == 0
    assert any("longer than" in w and "were cut" in w for w in warnings_of(result))
    assert summary.records == 2
    assert frame["line"].tolist() == [1, 2]
    assert len(frame["message"].iloc[0]) <= MAX_LINE
    assert frame["event"].iloc[1] == "terminate_start"


def test_a_last_line_without_newline_is_parsed_whole(novatrace, write_log):
    path = write_log("nova-compute.log", [HEADER + "Deallocating network for instance",
                                          HEADER + "Terminating instance"], final_newline=False)

    result = novatrace("parse", path)
    frame, summary = parse(path)

    assert result.exit_code == 0
    assert warnings_of(result) == []
    assert (summary.lines, summary.records) == (2, 2)
    assert frame["message"].tolist() == ["Deallocating network for instance",
                                         "Terminating instance"]


def test_lines_before_the_first_record_are_malformed_and_the_rest_parse(write_log):
    path = write_log("screen-n-cpu.txt", ["+ sudo systemctl start nova", "+ echo started", "",
                                          HEADER + "Terminating instance",
                                          "  a continuation line"])

    frame, summary = parse(path)

    assert summary.malformed == 2
    assert summary.records == 1
    assert frame["continuation"].tolist() == ["  a continuation line"]


def test_a_forced_format_that_matches_no_line_is_reported(novatrace, real_logs):
    merged = real_logs / "kilo_live_migration" / "mergedlogs-compute.log"

    result = novatrace("parse", merged, "--format", "oslo")

    assert result.exit_code == 0
    assert any("no line has the oslo record layout (--format oslo)" in w for w in warnings_of(result))
    assert "0 records" in result.stderr
