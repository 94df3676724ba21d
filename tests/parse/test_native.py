"""The native block parser (C, PCRE2) gives exactly what the Python parser gives."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import analyzer
from analyzer.parse import fastpath

TESTS = Path(__file__).resolve().parents[1]
FORMAT_FIXTURES = TESTS / "parse" / "fixtures" / "formats"
REAL_LOGS = TESTS.parent.parent / "shared" / "real_logs"

REAL_SETS = ["devstack_gate_2016", "havana_lab", "kilo_lab_controller", "kilo_live_migration",
             "loghub_openstack_2k"]


def test_the_native_parser_is_built() -> None:
    assert fastpath.available(), (
        "analyzer/parse/_fastblock was not built: install PCRE2 (Debian: libpcre2-dev) and run "
        "scripts/setup.sh again"
    )


def both(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[pd.DataFrame, pd.DataFrame]:
    monkeypatch.delenv("NOVATRACE_PURE_PYTHON", raising=False)
    native = analyzer.parse_logs([path])
    monkeypatch.setenv("NOVATRACE_PURE_PYTHON", "1")
    python = analyzer.parse_logs([path])
    return native, python


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Fields compared as JSON values, not as text (key order and spacing may differ)."""
    frame = frame.copy()
    frame["fields"] = [json.loads(v) if isinstance(v, str) else None for v in frame["fields"]]
    return frame.astype(object).where(frame.notna(), None)


@pytest.mark.parametrize(
    "path",
    [pytest.param(p, id=p.name) for p in sorted(FORMAT_FIXTURES.glob("*.log"))]
    + [pytest.param(REAL_LOGS / name, id=name) for name in REAL_SETS],
)
def test_native_and_python_parsers_give_identical_events(path: Path, monkeypatch, real_logs) -> None:
    assert fastpath.available(), "native parser not built"
    native, python = both(path, monkeypatch)
    assert len(native) == len(python) > 0
    pd.testing.assert_frame_equal(comparable(native), comparable(python))


def test_a_suffix_of_a_debug_line_is_found_whatever_the_message_holds(tmp_path, monkeypatch) -> None:
    # Spaces, brackets and a .py path inside the message itself: only the suffix goes.
    line = ("2016-06-28 13:53:52.455 29046 DEBUG nova.compute.manager [-] Running x.py:3 "
            "for {{(pid=1) a b.py:2}} and more _do_build /opt/stack/nova/nova/compute/manager.py:1759")
    path = tmp_path / "nova-compute.log"
    path.write_text(line + "\n")
    native, python = both(path, monkeypatch)
    assert native["message"].iloc[0] == "Running x.py:3 for {{(pid=1) a b.py:2}} and more"
    pd.testing.assert_frame_equal(comparable(native), comparable(python))


def test_a_rule_spanning_lines_matches_in_both_parsers(tmp_path, monkeypatch) -> None:
    # oslo.concurrency's ProcessExecutionError: one record, the command on the lines below.
    text = ("2016-06-28 13:56:14.597 30596 WARNING oslo_concurrency.processutils [req-c35 u p] "
            "u'Unexpected error while running command.'\n"
            "command: u'qemu-img info /var/lib/nova/instances/x/disk'\nexit code: 1\nstdout: u''\n"
            "stderr: u'qemu-img: Could not open'\n"
            "2016-06-28 13:56:15.597 30596 INFO nova.compute.manager [-] Pausing\n")
    path = tmp_path / "nova-compute.log"
    path.write_text(text)
    native, python = both(path, monkeypatch)
    assert native["event"].tolist() == ["cmd_error", "pause_start"]
    fields = json.loads(native["fields"].iloc[0])
    assert (fields["exit_code"], fields["tool"], fields["subcommand"]) == (1, "qemu-img", "info")
    pd.testing.assert_frame_equal(comparable(native), comparable(python))
