"""Every format the parser takes, one fixture file each (fixtures/formats/, see its README).

`expected.json` says per file: the format detected, its lines and records, and what
given lines parse to.  Each file is parsed with detection, then with `--format` forced.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import analyzer
from analyzer.parse.formats import detect

FIXTURES = Path(__file__).parent / "fixtures" / "formats"
EXPECTED: dict[str, dict] = json.loads((FIXTURES / "expected.json").read_text())
FILES = sorted(EXPECTED)



def parse(name: str, format: str = "auto") -> tuple[pd.DataFrame, analyzer.ParseSummary]:
    summary = analyzer.ParseSummary()
    frame = analyzer.parse_logs(FIXTURES / name, format=format, summary=summary)
    return frame, summary


def record_at(frame: pd.DataFrame, line: int) -> pd.Series:
    rows = frame[frame["line"] == line]
    assert len(rows) == 1, f"expected one record at line {line}, found {len(rows)}"
    return rows.iloc[0]


def value(row: pd.Series, column: str) -> object:
    raw = row[column]
    if pd.isna(raw):
        return None
    if column == "time":
        return raw.isoformat()
    if column == "pid":
        return int(raw)
    return raw


def checks() -> list[pytest.param]:
    return [
        pytest.param(name, check, id=f"{name}:{check['line']}")
        for name in FILES
        for check in EXPECTED[name]["checks"]
    ]


def test_every_fixture_file_has_an_expectation() -> None:
    logs = sorted(p.name for p in FIXTURES.glob("*.log"))
    assert logs == FILES


@pytest.mark.parametrize("name", FILES)
def test_the_format_is_detected_from_the_first_lines(name: str) -> None:
    lines = (FIXTURES / name).read_text().replace("\r\n", "\n").split("\n")
    assert detect(lines) == EXPECTED[name]["format"]


@pytest.mark.parametrize("name", FILES)
def test_parsing_reports_the_detected_format_and_the_record_count(name: str) -> None:
    frame, summary = parse(name)
    assert summary.formats == {str(FIXTURES / name): EXPECTED[name]["format"]}
    assert summary.records == len(frame) == EXPECTED[name]["records"]
    assert summary.malformed == 0
    assert summary.warnings == []


@pytest.mark.parametrize(
    "name",
    FILES,
)
def test_parsing_counts_every_line_of_the_file(name: str) -> None:
    _, summary = parse(name)
    assert summary.lines == EXPECTED[name]["lines"]


@pytest.mark.parametrize(("name", "check"), checks())
def test_a_given_line_parses_to_the_expected_record(name: str, check: dict) -> None:
    frame, _ = parse(name)
    row = record_at(frame, check["line"])
    for key, expected in check.items():
        if key == "line":
            continue
        if key == "fields":
            fields = json.loads(row["fields"]) if not pd.isna(row["fields"]) else {}
            assert {k: fields.get(k) for k in expected} == expected
        elif key == "clock":
            assert row["time"].strftime("%m-%d %H:%M:%S") == expected
        elif key.startswith("continuation"):
            text = "" if pd.isna(row["continuation"]) else row["continuation"]
            lines = text.split("\n") if text else []
            if key == "continuation_lines":
                assert len(lines) == expected, "continuation line count"
            elif key == "continuation_first":
                assert lines[0] == expected
            else:
                assert lines[-1] == expected
        else:
            assert value(row, key) == expected, key


@pytest.mark.parametrize("name", FILES)
def test_forcing_the_detected_format_gives_the_same_events(name: str) -> None:
    detected, _ = parse(name)
    forced, summary = parse(name, format=EXPECTED[name]["format"])
    pd.testing.assert_frame_equal(forced, detected)
    assert summary.warnings == []


@pytest.mark.parametrize("name", FILES)
def test_forcing_the_format_on_the_command_line_gives_the_same_events(
    name: str, novatrace, tmp_path: Path
) -> None:
    output = tmp_path / "events.parquet"
    result = novatrace("parse", FIXTURES / name, "--format", EXPECTED[name]["format"], "-o", output)
    assert result.exit_code == 0, result.stderr
    detected, _ = parse(name)
    written = pd.read_parquet(output)
    assert written["line"].tolist() == detected["line"].tolist()
    assert written["event"].tolist() == detected["event"].tolist()


def test_a_line_of_another_format_is_a_continuation_when_the_format_is_forced() -> None:
    frame, summary = parse("bare.log", format="oslo")
    assert summary.records == 0
    assert summary.malformed == 3
    assert frame.empty
