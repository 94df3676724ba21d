"""`novatrace report`: the file, the summary line, --instance/--since/--until, --png through
kaleido and Debian's Chromium, and one-line errors with exit status 2."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest

from analyzer.lifecycle import check

MAIN = Path(__file__).resolve().parents[2]
SAMPLES = MAIN / "sample_logs"
WROTE = re.compile(r"^wrote (?P<path>\S+) \((?P<mb>[\d.]+) MB\): (?P<instances>\d+) instances, "
                   r"(?P<operations>\d+) operations?, (?P<deviations>\d+) deviations? in (?P<deviating>\d+) "
                   r"operations?$", re.MULTILINE)


def test_report_writes_one_html_file_and_says_what_it_holds(novatrace, tmp_path: Path) -> None:
    target = tmp_path / "timeline.html"
    result = novatrace("report", SAMPLES, "-o", target)
    assert result.exit_code == 0, result.stderr
    found = WROTE.search(result.stderr)
    assert found, result.stderr
    checked = check([SAMPLES])
    assert int(found["instances"]) == len(checked.stories)
    assert int(found["operations"]) == len(checked.checked)
    assert int(found["deviations"]) == checked.deviation_count
    html = target.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert not re.search(r"""<(script|link|img|iframe)[^>]+(src|href)=["']?https?:""", html)


def test_instance_and_window_options_narrow_the_report(novatrace, tmp_path: Path) -> None:
    checked = check([SAMPLES])
    recent = sorted(u for u, s in checked.stories.items()
                    if s.checked and s.checked[0].start > 1.7e9)  # the 2026 sample
    target = tmp_path / "one.html"
    result = novatrace("report", SAMPLES, "-o", target, "--instance", recent[0][:8],
                       "--since", "2026-01-01", "--until", "2026-12-31T23:59:59Z")
    assert result.exit_code == 0, result.stderr
    found = WROTE.search(result.stderr)
    assert found and found["instances"] == "1"
    assert int(found["operations"]) == len(checked.stories[recent[0]].checked)
    assert f'<option value="{recent[0]}">' in target.read_text(encoding="utf-8")


def test_png_is_drawn_by_chromium(novatrace, tmp_path: Path) -> None:
    target = tmp_path / "timeline.html"
    result = novatrace("report", SAMPLES / "devstack_2016", "-o", target, "--png")
    assert result.exit_code == 0, result.stderr
    image = tmp_path / "timeline.png"
    assert f"wrote {image}" in result.stderr
    data = image.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width == 1400 and height > 300
    assert len(data) > 20_000  # a drawn timeline, not an empty canvas


def test_png_without_a_browser_says_how_to_get_one(novatrace, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-browser"))
    target = tmp_path / "timeline.html"
    result = novatrace("report", SAMPLES, "-o", target, "--png")
    assert result.exit_code == 2
    assert result.stderr.startswith("novatrace: error: --png needs Chromium or Chrome")
    assert "apt-get install chromium" in result.stderr
    assert not target.exists()  # refused before any work


@pytest.mark.parametrize(("args", "message"), [
    (["nowhere/"], "nowhere/: no such file or directory"),
    (["-o", "{tmp}/missing/dir/r.html"], "does not exist"),
    (["-o", "{tmp}"], "a report is an HTML file"),
    (["-o", "{tmp}/a-directory.html"], "is a directory"),
    (["--since", "last tuesday"], "--since 'last tuesday': not a time"),
    (["--until", "2016-02-30"], "--until '2016-02-30': not a time"),
    (["--since", "2016-06-29", "--until", "2016-06-28"], "--since is after --until"),
    (["--instance", "ffffffff"], "no instance 'ffffffff' in these logs"),
    (["--release", "1999"], "unknown release"),
])
def test_bad_input_is_one_line_and_exit_2(novatrace, tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "a-directory.html").mkdir()
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    paths = [] if args[0] == "nowhere/" else [str(SAMPLES)]
    output = [] if "-o" in args else ["-o", str(tmp_path / "r.html")]
    result = novatrace("report", *paths, *args, *output)
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("novatrace: error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "r.html").exists()
