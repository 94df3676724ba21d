"""Verdicts reused across operations of the same shape equal what a full check finds."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import pytest

from analyzer.lifecycle import check
from analyzer.lifecycle.verdicts import Verdicts
from analyzer.parse import pipeline, sources

ROOT = Path(__file__).resolve().parents[2]
DEVSTACK = ROOT.parent / "shared" / "real_logs" / "devstack_gate_2016"
sys.path.insert(0, str(ROOT / "benchmarks"))

import corpus  # noqa: E402  (the benchmark's generator of realistic logs)


@pytest.fixture(scope="module", params=["2016", "current"])
def generated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp(f"corpus-{request.param}")
    corpus.generate(out, 60_000, seed=7, style=request.param, layout="oslo")
    return sorted(out.glob("*.log"))


def _fresh(paths: list[Path], monkeypatch: pytest.MonkeyPatch, **options: object) -> dict:
    with monkeypatch.context() as patch:
        patch.setattr(Verdicts, "get", lambda self, shape: None)  # every operation checked in full
        return check(paths, **options).as_dict()  # type: ignore[arg-type]


def test_reused_verdicts_equal_full_checks_on_a_generated_log(
        generated: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    reused = check(generated)
    kept = reused.as_dict()
    assert kept["summary"]["operations"] > 500
    assert kept["summary"]["deviations"]["missing_step"] + kept["summary"]["deviations"]["error"] > 0
    assert kept == _fresh(generated, monkeypatch)


def test_slow_steps_found_alike_with_reused_verdicts(
        generated: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    # operations that took a verdict have their step durations worked out together, their
    # steps made only when read: the `slow` steps and their evidence must not change
    reused = check(generated, slow=1.0)
    slow = [d for c in reused.checked for d in c.deviations if d.kind == "slow"]
    assert any(d.step for d in slow) and any(c.verdict is not None for c in reused.checked)
    assert reused.as_dict() == _fresh(generated, monkeypatch, slow=1.0)


def test_reused_verdicts_equal_full_checks_on_the_devstack_job(monkeypatch: pytest.MonkeyPatch) -> None:
    paths = sorted(DEVSTACK.glob("screen-n-*.txt"))
    assert check(paths).as_dict() == _fresh(paths, monkeypatch)


def test_verdicts_are_reused(generated: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    applied = []
    original = Verdicts.get

    def counting(self: Verdicts, shape: object) -> object:
        found = original(self, shape)  # type: ignore[arg-type]
        applied.append(found is not None)
        return found

    monkeypatch.setattr(Verdicts, "get", counting)
    result = check(generated)
    assert len(applied) == len(result.checked)
    assert sum(applied) > len(applied) / 2  # most operations went the way an earlier one did


def test_small_blocks_give_the_same_check(monkeypatch: pytest.MonkeyPatch) -> None:
    # Many blocks per file: the engine sees tables whose dictionary columns differ by chunk.
    paths = sorted(DEVSTACK.glob("screen-n-*.txt"))
    whole = check(paths).as_dict()
    small = functools.partial(sources.read_blocks, block_bytes=64 * 1024)
    monkeypatch.setattr(pipeline, "read_blocks", small)
    for one in paths:  # a single file's blocks come through the merge without being re-encoded
        check([one])
    assert check(paths).as_dict() == whole
