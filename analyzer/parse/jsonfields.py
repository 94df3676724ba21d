"""JSON for the `fields` column: orjson when installed (several times faster), else json."""

from __future__ import annotations

import json
from collections.abc import Callable

try:
    import orjson

    def _orjson_dumps(values: dict[str, object]) -> str:
        return orjson.dumps(values).decode("utf-8")

    dumps: Callable[[dict[str, object]], str] = _orjson_dumps
    loads: Callable[[str], dict[str, object]] = orjson.loads
except ImportError:  # pragma: no cover - orjson is a dependency; json keeps a bare install working

    def _json_dumps(values: dict[str, object]) -> str:
        return json.dumps(values, ensure_ascii=False, separators=(",", ":"))

    dumps = _json_dumps
    loads = json.loads
