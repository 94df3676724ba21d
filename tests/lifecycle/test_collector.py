"""check() and Python's cycle collector: the engine's objects are not walked for nothing,
and the caller's collector state is left as it was."""

from __future__ import annotations

import gc
from pathlib import Path

from analyzer.lifecycle import check

SAMPLES = Path(__file__).resolve().parents[2] / "sample_logs"


def _in_generation(objects: list[object], generation: int) -> bool:
    held = {id(o) for o in gc.get_objects(generation=generation)}
    return all(id(o) in held for o in objects)


def test_the_engines_objects_end_in_the_oldest_generation() -> None:
    assert gc.isenabled()
    result = check([SAMPLES])
    records = [r for c in result.checked for r in c.operation.records][:50]
    assert records and all(gc.is_tracked(r) for r in records)
    # not left young for the next collection to walk (and not walked once to get old)
    assert _in_generation(records, 2)
    assert gc.isenabled()


def test_a_caller_without_the_collector_keeps_it_off() -> None:
    gc.disable()
    try:
        check([SAMPLES])
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_objects_the_caller_froze_stay_frozen() -> None:
    marker: list[object] = [[]]  # the caller's, tracked by the collector (a list always is)
    gc.freeze()
    try:
        result = check([SAMPLES])
        assert result.checked
        # frozen objects are in no generation: had check unfrozen them, it would be in one
        assert all(o is not marker for o in gc.get_objects())
    finally:
        gc.unfreeze()
    assert any(o is marker for o in gc.get_objects())
