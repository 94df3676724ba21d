"""`novatrace practice list|show` through the command line."""

from __future__ import annotations

from typer.testing import CliRunner

from analyzer.cli import app


def test_list_shows_every_exercise_with_a_description_yours_first():
    result = CliRunner().invoke(app, ["practice", "list"])
    assert result.exit_code == 0
    lines = [line.split()[0] for line in result.output.splitlines() if line.startswith("    ")]
    assert lines[:8] == ["lock", "unlock", "soft-reboot", "hard-reboot", "shutoff", "suspend", "resume",
                         "unrescue"]
    assert lines[-1] == "pause-vs-suspend" and len(lines) == 17
    assert "the guest stays in memory" in result.output


def test_list_in_chinese():
    result = CliRunner().invoke(app, ["practice", "list", "--lang", "zh"])
    assert result.exit_code == 0
    assert "你的清单" in result.output and "冻结 vCPU" in result.output


def test_libvirt_driver_not_available_is_one_line_and_exit_2(tmp_path, monkeypatch):
    from analyzer.replay import drivers

    monkeypatch.delitem(drivers.DRIVERS, "libvirt", raising=False)  # a novatrace without it
    result = CliRunner().invoke(app, ["practice", "show", "lock", "--driver", "libvirt", "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "novatrace: error: the libvirt driver is not available in this novatrace (available: fake); "
        "run with --driver fake"]
    assert not (tmp_path / "logs").exists()


def test_bad_options_are_one_line_and_exit_2(tmp_path):
    for args in (["show", "fly"], ["show", "lock", "--lang", "fr"], ["show", "lock", "--log-style", "1999"],
                 ["show", "lock", "--driver", "qemu"], ["list", "--lang", "fr"]):
        result = CliRunner().invoke(app, ["practice", *args, "-o", str(tmp_path)] if args[0] == "show"
                                    else ["practice", *args])
        assert result.exit_code == 2, args
        assert len(result.output.strip().splitlines()) == 1 and result.output.startswith("novatrace: error: ")


def test_show_prints_the_walkthrough_and_writes_logs_and_page(tmp_path):
    result = CliRunner().invoke(app, ["practice", "show", "unrescue", "-o", str(tmp_path), "--lang", "zh"])
    assert result.exit_code == 0, result.output
    assert "流程讲解" in result.output and "unrescuing" in result.output
    assert "novatrace check：3 operations，全部符合文档流程" in result.output
    assert (tmp_path / "walkthrough.html").is_file()
    assert (tmp_path / "logs" / "nova-compute.log").read_text().count("Unrescuing") == 1
    check = CliRunner().invoke(app, ["check", str(tmp_path / "logs")])
    assert check.exit_code == 0 and "every operation follows its flow" in check.output
