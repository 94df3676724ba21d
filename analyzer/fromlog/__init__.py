"""Replay a log's operations on mini-Nova and compare the two lifecycles (`novatrace replay --from-log`).

    logs -> lifecycle.check -> plan (a mini-Nova scenario, and what is not replayed)
         -> replay.scenarios.run_scenario on an embedded MiniNova (its logs in log_dir)
         -> lifecycle.check of the replayed logs -> compare (operation by operation, step by step)

This package stands on both sides of the one-way doors (it reads logs and drives
mini-Nova), which is why it is neither in `lifecycle` nor in `replay`.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from pathlib import Path

from analyzer.errors import InputError
from analyzer.fromlog.compare import Comparison, OperationDiff, compare
from analyzer.fromlog.plan import NotReplayed, Plan, plan

__all__ = ["Comparison", "NotReplayed", "OperationDiff", "Plan", "ReplayProgress", "plan", "replay_from_log"]

# phase, done, total (None while unknown): "reading" (bytes of the original logs),
# "replaying" (operations sent, waits left out), "checking" (bytes of the replayed logs)
ReplayProgress = Callable[[str, int, int | None], None]


def replay_from_log(
    paths: list[str | Path],
    log_dir: str | Path,
    *,
    speed: float = 0.0,
    style: str | None = None,
    timing: str = "fast",
    driver: str = "fake",
    libvirt_uri: str | None = None,
    flows_dir: str | Path | None = None,
    release: str = "auto",
    format: str = "auto",
    tz: str | None = None,
    host: str | None = None,
    jobs: int = 1,
    state_dir: str | Path | None = None,
    timeout: float = 60.0,
    progress: ReplayProgress | None = None,
) -> Comparison:
    """Replay the operations `novatrace check` finds in `paths` and compare the lifecycles.

    `style` is the replay's log style; None takes the original's release ("current"
    when any of its files is in a post-2016 wording, else "2016").  The replayed logs
    go to `log_dir` (appended to, like `novatrace replay`; only the replayed instances
    are checked).  Raises InputError for a missing path, a bad option, or logs with
    no operation to replay; ScenarioFailed when mini-Nova does not settle an operation.
    """
    from analyzer.lifecycle import check  # noqa: PLC0415

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # oslo and Starlette deprecation notes on import
        from analyzer.replay import STYLES, MiniNova  # noqa: PLC0415
        from analyzer.replay.scenarios import StepResult, run_scenario  # noqa: PLC0415
    if style is not None and style not in STYLES:
        raise InputError(f"unknown log style {style!r} (expected {' or '.join(STYLES)})")
    parsing = _bytes(progress, "reading")
    original = check(paths, flows_dir=flows_dir, release=release, format=format, tz=tz, host=host,
                     jobs=jobs, progress=parsing)
    chosen = style or original.facts.release
    scenario_plan = plan(original, speed)
    total = len(scenario_plan.planned)
    done = 0

    def stepped(_done: int, _total: int, result: StepResult) -> None:
        nonlocal done
        if result.operation != "wait":
            done += 1
            if progress is not None:
                progress("replaying", done, total)

    started = time.monotonic()
    try:
        nova = MiniNova(log_dir=log_dir, state_dir=state_dir, style=chosen, driver=driver, timing=timing,
                        libvirt_uri=libvirt_uri)
    except ValueError as error:  # an unknown driver or timing
        raise InputError(str(error)) from None
    with nova, nova.client() as client:
        results = run_scenario(scenario_plan.scenario, client, timeout, strict=False, progress=stepped)
    seconds = time.monotonic() - started
    servers = sorted({r.server for r in results if r.server})
    replayed = check([log_dir], flows_dir=flows_dir, release=chosen, instances=servers,
                     progress=_bytes(progress, "checking"))
    return compare(original, replayed, scenario_plan, results, style=chosen, timing=timing,
                   log_dir=str(log_dir), seconds=seconds)


def _bytes(progress: ReplayProgress | None, phase: str) -> Callable[[object], None] | None:
    """A parse progress callback reporting bytes read under `phase`."""
    if progress is None:
        return None

    def update(parsed: object) -> None:
        progress(phase, parsed.bytes_done, parsed.bytes_total)  # type: ignore[attr-defined]

    return update
