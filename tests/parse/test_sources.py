"""Inputs: directories, .gz, standard input, what names and paths tell, merging, time zones."""

from __future__ import annotations

import functools
import gzip
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import analyzer
from analyzer.parse import pipeline, sources

FIXTURES = Path(__file__).parent / "fixtures" / "formats"
UUID = "6f1b0e4c-3a2d-4c9e-8f5a-2b7c9d1e0a34"


def oslo(time: str, message: str = "Terminating instance", logger: str = "nova.compute.manager",
         level: str = "INFO") -> str:
    return f"2016-06-28 {time} 29046 {level} {logger} [-] [instance: {UUID}] {message}"


def parse(paths, **options) -> tuple[pd.DataFrame, analyzer.ParseSummary]:
    summary = analyzer.ParseSummary()
    frame = analyzer.parse_logs(paths, summary=summary, **options)
    return frame, summary


def without_source(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=["source"]).reset_index(drop=True)


def small_blocks(monkeypatch: pytest.MonkeyPatch, size: int = 64 * 1024) -> None:
    """Make the pipeline read every source in blocks of about `size` bytes."""
    monkeypatch.setattr(pipeline, "read_blocks",
                        functools.partial(sources.read_blocks, block_bytes=size))


# --- directories -------------------------------------------------------------------------


def test_a_directory_is_walked_recursively_taking_only_log_file_names(write_log, tmp_path):
    line = [oslo("13:53:52.455")]
    for name in ("nova-api.log", "deep/er/screen-n-cpu.txt", "nova-compute.log.1",
                 "nova-scheduler.log.2017-05-16_13:53:08", "notes.md", "events.csv",
                 "deep/data.json", "README"):
        write_log(f"logs/{name}", line)
    with gzip.open(tmp_path / "logs" / "deep" / "nova-conductor.log.gz", "wt") as handle:
        handle.write(line[0] + "\n")

    frame, summary = parse([tmp_path / "logs"])

    taken = {Path(s).relative_to(tmp_path / "logs").as_posix() for s in frame["source"]}
    assert taken == {"nova-api.log", "deep/er/screen-n-cpu.txt", "nova-compute.log.1",
                     "nova-scheduler.log.2017-05-16_13:53:08", "deep/nova-conductor.log.gz"}
    assert summary.files == 5


def test_a_directory_without_log_files_is_refused(tmp_path):
    (tmp_path / "notes.md").write_text("# nothing here\n")
    with pytest.raises(analyzer.InputError, match="holds no log files"):
        analyzer.parse_logs([tmp_path])


# --- .gz and standard input ----------------------------------------------------------------


def test_a_gz_file_gives_the_same_events_as_the_plain_file(tmp_path):
    plain = tmp_path / "havana.log"
    shutil.copy(FIXTURES / "havana.log", plain)
    packed = tmp_path / "havana.log.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))

    from_plain, plain_summary = parse(plain)
    from_gz, gz_summary = parse(packed)

    pd.testing.assert_frame_equal(without_source(from_gz), without_source(from_plain))
    assert gz_summary.lines == plain_summary.lines
    assert gz_summary.warnings == []


def test_standard_input_is_read_when_the_path_is_a_dash(novatrace, tmp_path):
    text = (FIXTURES / "journald.log").read_text()
    output = tmp_path / "events.jsonl"

    result = novatrace("parse", "-", "-o", output, input=text)

    assert result.exit_code == 0, result.stderr
    events = [line for line in output.read_text().splitlines() if line]
    assert len(events) == 4
    assert '"source": "<stdin>"' in events[0]
    assert '"event": "pause_start"' in events[0]


def test_standard_input_is_read_by_the_installed_command(tmp_path):
    output = tmp_path / "events.csv"
    with (FIXTURES / "havana.log").open("rb") as stdin:
        done = subprocess.run([sys.executable, "-m", "analyzer", "parse", "-", "-o", str(output)],
                              stdin=stdin, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    written = pd.read_csv(output)
    assert len(written) == 9
    assert set(written["source"]) == {"<stdin>"}
    assert "build_start" in set(written["event"])


# --- service and host ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "service"),
    [
        ("nova-api.log", "nova-api"),
        ("nova-compute.log.1", "nova-compute"),
        ("screen-n-cpu.txt", "nova-compute"),
        ("screen-n-sch.txt", "nova-scheduler"),
        ("n-cond.log", "nova-conductor"),
        ("nova-scheduler.log.gz", "nova-scheduler"),
    ],
)
def test_the_service_comes_from_the_file_name(write_log, name, service):
    # The logger alone would say nova-compute or other; the file name wins.
    path = write_log("plain.log", [oslo("13:53:52.455", logger="oslo_messaging.server")])
    target = path.with_name(name)
    if name.endswith(".gz"):
        target.write_bytes(gzip.compress(path.read_bytes()))
    else:
        path.rename(target)
    frame, _ = parse(target)
    assert frame["service"].tolist() == [service]


@pytest.mark.parametrize(
    ("line", "service"),
    [
        pytest.param("nova-scheduler.log.1.2017-05-16_13:53:08 2017-05-16 00:00:57.129 25998 "
                     "INFO oslo_service.service [-] Child 1 exited", "nova-scheduler",
                     id="loghub prefix"),
        pytest.param("Jun 28 13:53:52 devstack devstack@n-cond.service[3]: INFO "
                     "oslo_service.service [-] Child 1 exited", "nova-conductor",
                     id="journald unit"),
        pytest.param("2016-06-28 13:53:52.455 1 INFO nova.scheduler.manager [-] Child 1 exited",
                     "nova-scheduler", id="logger"),
        pytest.param("2016-06-28 13:53:52.455 1 INFO oslo_service.service [-] Child 1 exited",
                     "other", id="nothing says"),
    ],
)
def test_the_service_comes_from_the_line_when_the_file_name_says_nothing(write_log, line, service):
    frame, _ = parse(write_log("events.log", [line]))
    assert frame["service"].tolist() == [service]


def test_the_host_comes_from_a_parent_directory_named_like_a_host(write_log):
    path = write_log("run/hp-ms-01-c29/nova-compute.log", [oslo("13:53:52.455")])
    frame, _ = parse(path)
    assert frame["host"].tolist() == ["hp-ms-01-c29"]


@pytest.mark.parametrize("directory", ["2016-06-28", "logs", "new_logs"])
def test_a_directory_not_named_like_a_host_gives_no_host(write_log, directory):
    frame, _ = parse(write_log(f"{directory}/nova-compute.log", [oslo("13:53:52.455")]))
    assert frame["host"].isna().all()


def test_the_host_option_fills_in_for_files_that_do_not_say(write_log):
    silent = write_log("logs/nova-compute.log", [oslo("13:53:52.455")])
    named = write_log("cp-7/nova-compute.log", [oslo("13:53:53.455")])
    journald = write_log("logs/journal.log", [
        "Jun 28 13:53:54 devstack nova-compute[7]: INFO nova.compute.manager [-] "
        "Terminating instance"])

    frame, _ = parse([silent, named, journald], host="fallback-1")

    hosts = dict(zip(frame["source"], frame["host"], strict=True))
    assert hosts == {str(silent): "fallback-1", str(named): "cp-7", str(journald): "devstack"}


# --- merging -----------------------------------------------------------------------------------


def test_several_files_are_merged_into_one_stream_ordered_by_time(write_log):
    api = write_log("nova-api.log", [oslo(f"13:5{i}:00.000") for i in (0, 2, 4, 6)])
    cpu = write_log("nova-compute.log", [oslo(f"13:5{i}:30.000") for i in (1, 3, 5)])

    frame, _ = parse([cpu, api])

    assert frame["time"].is_monotonic_increasing
    assert [Path(s).name[5:8] for s in frame["source"]] == ["api", "com", "api", "com",
                                                            "api", "com", "api"]


def test_the_merge_keeps_time_order_when_files_are_read_in_many_small_blocks(
    monkeypatch, real_logs
):
    whole, _ = parse(real_logs / "devstack_gate_2016")
    small_blocks(monkeypatch)
    pieces, summary = parse(real_logs / "devstack_gate_2016")

    assert pieces["time"].is_monotonic_increasing
    assert summary.records == len(whole)
    pd.testing.assert_frame_equal(pieces, whole)


def test_a_continuation_keeps_its_blank_lines_across_block_boundaries(write_log, monkeypatch):
    frames = ["Traceback (most recent call last):", ""]
    for number in range(40):
        frames += [f'  File "nova/x{number}.py", line {number}, in f', "    call()", ""]
    path = write_log("nova-compute.log", [
        "2014-04-17 14:50:12.128 1455 ERROR nova.compute.manager [-] Error: no floating ip",
        *frames, "NoMoreFloatingIps: Zero floating ips available.",
        "2014-04-17 14:50:13.128 1455 INFO nova.compute.manager [-] Terminating instance"])
    whole, _ = parse(path)
    small_blocks(monkeypatch, 200)
    pieces, _ = parse(path)

    last = "NoMoreFloatingIps: Zero floating ips available."
    assert whole["continuation"].iloc[0] == "\n".join([*frames, last])
    assert pieces["continuation"].iloc[0] == whole["continuation"].iloc[0]


# --- time zones --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "utc"),
    [("2016-06-28 13:00:00.000", "2016-06-28T11:00:00+00:00"),   # CEST, UTC+2
     ("2016-01-28 13:00:00.000", "2016-01-28T12:00:00+00:00")],  # CET, UTC+1
)
def test_tz_shifts_naive_times_to_utc(write_log, local, utc):
    path = write_log("nova-compute.log",
                     [f"{local} 1 INFO nova.compute.manager [-] Terminating instance"])
    frame, _ = parse(path, tz="Europe/Berlin")
    assert frame["time"].iloc[0].isoformat() == utc


def test_without_tz_naive_times_are_taken_as_utc(write_log):
    path = write_log("nova-compute.log", [oslo("13:00:00.250")])
    frame, _ = parse(path)
    assert frame["time"].iloc[0].isoformat() == "2016-06-28T13:00:00.250000+00:00"


def test_tz_shifts_journald_times_too(write_log):
    path = write_log("journal.log", [
        "Jun 28 13:00:00 devstack nova-compute[7]: INFO nova.compute.manager [-] "
        "Terminating instance"])
    frame, _ = parse(path, tz="Europe/Berlin")
    assert frame["time"].iloc[0].strftime("%m-%d %H:%M") == "06-28 11:00"


# --- line endings ------------------------------------------------------------------------------

LINES = [oslo("13:53:52.455"), "  continuation of the record above",
         oslo("13:53:53.000", "Deallocating network for instance"), "", oslo("13:53:54.000")]


@pytest.mark.parametrize(
    ("final_newline", "block_bytes"),
    [
        pytest.param(True, None, id="one block"),
        pytest.param(False, None, id="no final newline"),
        pytest.param(True, 200, id="many blocks"),
    ],
)
def test_crlf_and_lf_files_give_identical_events(write_log, monkeypatch, final_newline,
                                                 block_bytes):
    if block_bytes:
        small_blocks(monkeypatch, block_bytes)
    lf = write_log("lf/nova-compute.log", LINES, "\n", final_newline)
    crlf = write_log("crlf/nova-compute.log", LINES, "\r\n", final_newline)

    from_lf, _ = parse(lf)
    from_crlf, _ = parse(crlf)

    assert from_lf["line"].tolist() == [1, 3, 5]
    pd.testing.assert_frame_equal(without_source(from_crlf), without_source(from_lf))


def test_crlf_and_lf_files_count_the_same_lines(write_log):
    _, lf = parse(write_log("lf/nova-compute.log", LINES, "\n"))
    _, crlf = parse(write_log("crlf/nova-compute.log", LINES, "\r\n"))
    assert lf.lines == len(LINES)
    assert crlf.lines == lf.lines
