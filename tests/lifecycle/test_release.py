"""Which release's wording a log is read in, when no caller sent a global request id."""

from __future__ import annotations

import re
from pathlib import Path

from analyzer.lifecycle import check

SAMPLES = Path(__file__).resolve().parents[2] / "sample_logs"
_GLOBAL_THEN_LOCAL = re.compile(r"\[req-[0-9a-f-]{36} (req-[0-9a-f-]{36}) ")


def _without_global_ids(tmp_path: Path) -> Path:
    """sample_logs/replay_current as today's Nova writes it when no caller sent a global id."""
    logs = tmp_path / "logs"
    logs.mkdir()
    for source in sorted((SAMPLES / "replay_current").glob("*.log")):
        text = _GLOBAL_THEN_LOCAL.sub(r"[None \1 ", source.read_text())
        (logs / source.name).write_text(text)
    return logs


def test_none_in_the_global_id_slot_reads_every_file_in_todays_wording(tmp_path):
    logs = _without_global_ids(tmp_path)
    compute = (logs / "nova-compute.log").read_text()
    assert "[None req-" in compute and not _GLOBAL_THEN_LOCAL.search(compute)

    result = check([logs]).as_dict()
    original = check([SAMPLES / "replay_current"]).as_dict()

    assert result["summary"]["release"] == "current"
    assert len(result["operations"]) == len(original["operations"]) == 34
    assert result["summary"]["deviations"] == original["summary"]["deviations"]
    assert result["summary"]["statuses"] == original["summary"]["statuses"]


def test_a_2016_log_has_no_global_id_slot():
    result = check([SAMPLES / "replay_2016"])
    assert result.release == "2016"
    assert not result.summary.global_id_sources
