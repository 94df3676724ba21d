"""The native block parser (`_fastblock`, C with PCRE2 JIT), fed from the compiled grammar.

`_fastblock.c` knows no Nova wording: it receives the regular expressions that
`grammar.py` compiles from `grammars/` (record layouts, DEBUG suffix, context
block, event rules with their field names and kinds, the first-word index) and
returns a block's columns as Arrow buffers.  When the extension was not built
(no PCRE2 at install time), `available()` is False and block.py parses in Python.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pyarrow as pa

from analyzer.parse.enrich import derive_inputs
from analyzer.parse.formats import FORMATS
from analyzer.parse.grammar import catalogue, records

try:
    from analyzer.parse import _fastblock
except ImportError:  # built without PCRE2: the Python path takes over
    _fastblock = None

# The columns _fastblock.c returns, in its order (its enum C_*).
COLUMNS = (
    "timestamp", "syslog_timestamp", "source_file", "alias", "host", "unit", "pid", "level",
    "logger", "context", "instance", "message", "request_id", "global_request_id", "user_id",
    "project_id", "fields", "continuation", "template", "key",
)
HEADER_COLUMNS = COLUMNS[:11] + ("message",)
CONTEXT_COLUMNS = ("request_id", "global_request_id", "user_id", "project_id")
_KINDS = {"str": 0, "int": 1, "float": 2}


def available() -> bool:
    """Whether the native extension is importable."""
    return _fastblock is not None


@cache
def parser(format_name: str):  # type: ignore[no-untyped-def]
    """The native parser for one format, built once per process."""
    assert _fastblock is not None
    rec = records()
    layouts = []
    for name in FORMATS[format_name]:
        layout = rec.layouts[name]
        columns = [COLUMNS.index(g) if g in COLUMNS else -1 for g in layout.groups]
        source = layout.regex.pattern
        # A layout ending in `(?P<message>.*)` (no newline in a line): the message is
        # the rest of the line after the match, which spares matching it byte by byte.
        tail = f"(?P<{layout.groups[-1]}>.*)" if layout.groups else ""
        if tail and source.endswith(tail) and layout.groups[-1] in COLUMNS:
            layouts.append((source[: -len(tail)], columns[:-1], COLUMNS.index(layout.groups[-1])))
        else:
            layouts.append((source, columns))
    context_groups = list(rec.request_context.groupindex)
    context_columns = [COLUMNS.index(g) if g in CONTEXT_COLUMNS else -1 for g in context_groups]
    cat = catalogue()
    index_of = {id(p): i for i, p in enumerate(cat.patterns)}
    wildcard_ids = {id(p) for p in cat.wildcard}
    patterns = []
    for pattern in cat.patterns:
        names = list(pattern.regex.groupindex)
        needle = pattern.required.encode() if id(pattern) in wildcard_ids and pattern.required else None
        patterns.append((
            pattern.regex.pattern,
            [f'"{name}":'.encode() for name in names],
            [_KINDS[pattern.kinds[name]] for name in names],
            needle,
            [pattern.regex.groupindex[name] for name in derive_inputs(pattern)],
        ))
    words = sorted(
        (word.encode("utf-8"), [index_of[id(p)] for p in found])
        for word, found in cat.by_word.items()
    )
    ordered_wildcards = [p for p in cat.wildcard if p.required] + cat.unindexed
    return _fastblock.Parser(
        layouts,
        rec.suffixes.pattern,
        rec.request_context.pattern,
        context_columns,
        patterns,
        words,
        [index_of[id(p)] for p in ordered_wildcards],
        [index_of[id(p)] for p in cat.multiline],
        rec.suffix_first or "\0",
        rec.suffix_spaces,
    )


def _strings(buffers: tuple[bytes, bytes], count: int) -> pa.Array:
    offsets, data = buffers
    return pa.Array.from_buffers(pa.string(), count, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def split(text: str, format_name: str, data: bytes | None = None):  # type: ignore[no-untyped-def]
    """Records of a block, as block._Split, parsed natively (`data`: `text` as UTF-8)."""
    from analyzer.parse.block import _Split  # noqa: PLC0415 - block imports this module

    if data is None:
        data = text.encode("utf-8", errors="surrogatepass")
    out = parser(format_name).parse(data)
    count = out["records"]
    columns = {name: _strings(out["columns"][i], count) for i, name in enumerate(COLUMNS)}
    first = out["first_record"]
    if first < 0:
        leading = text.split("\n")
    elif first == 0:
        leading = []
    else:
        leading = data[: first - 1].decode("utf-8", errors="surrogatepass").split("\n")
    last = out["last_continuation"]
    last_lines = (data[last:].decode("utf-8", errors="surrogatepass").split("\n")
                  if last >= 0 else [])
    has_time = np.frombuffer(out["has_time"], dtype=np.uint8) == 0
    micros = np.frombuffer(out["time"], dtype=np.int64)
    return _Split(
        keys=columns.pop("key"),
        templates=columns.pop("template"),
        times=pa.array(micros, type=pa.timestamp("us"), mask=has_time),
        lines=out["lines"],
        longest=out["longest"],
        rows=np.frombuffer(out["line"], dtype=np.int64),
        columns=columns,
        patterns=np.frombuffer(out["event"], dtype=np.int32).copy(),
        fields=columns.pop("fields"),
        leading=leading,
        last_continuation=last_lines,
    )
