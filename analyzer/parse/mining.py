"""Template ids mined from messages: the way unknown lines are grouped and counted.

A message's template is the message with every variable token masked as `<*>`:
tokens holding a digit, a path or an `=` assignment (ids, sizes, times, addresses,
paths, hosts).  Its id is a short stable hash of the template text, the same in
every process and every run, so ids from parallel workers and from different runs
agree.  Masking runs vectorised (Arrow, RE2) over a whole block, which keeps
mining far cheaper than an incremental clusterer such as Drain.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

VARIABLE_TOKEN = r"[^\s]*[0-9/=][^\s]*"
"""A whitespace-separated token that varies between occurrences of one message."""

WILDCARD = "<*>"


def template_id(template: str) -> str:
    """Stable 8-hex-digit id of a template text."""
    return hashlib.blake2b(template.encode("utf-8"), digest_size=4).hexdigest()


def mine(messages: pa.Array, masked: pa.Array | None = None) -> tuple[pa.Array, np.ndarray, list[str]]:
    """Template ids for `messages`, with each message's template text.

    Returns `(ids, codes, templates)`: `ids` is a string array aligned with
    `messages`, and `templates[codes[i]]` is message i's template text.  `masked`,
    when given, is the messages already masked (the native parser does it).
    """
    if masked is None:
        masked = pc.replace_substring_regex(messages, VARIABLE_TOKEN, WILDCARD)
    encoded = pc.dictionary_encode(masked).combine_chunks() if isinstance(
        masked, pa.ChunkedArray) else pc.dictionary_encode(masked)
    templates = encoded.dictionary.to_pylist()
    ids = pa.array([template_id(t) for t in templates], type=pa.string())
    return pc.take(ids, encoded.indices), encoded.indices.to_numpy(zero_copy_only=False), templates


@dataclass
class TemplateCounts:
    """Counts of unrecognized templates with one example each, mergeable across blocks."""

    counts: Counter[str] = field(default_factory=Counter)
    texts: dict[str, str] = field(default_factory=dict)
    examples: dict[str, str] = field(default_factory=dict)

    def add(self, tid: str, template: str, example: str) -> None:
        self.counts[tid] += 1
        if tid not in self.texts:
            self.texts[tid] = template
            self.examples[tid] = example

    def merge(self, other: TemplateCounts) -> None:
        self.counts.update(other.counts)
        for tid, text in other.texts.items():
            self.texts.setdefault(tid, text)
            self.examples.setdefault(tid, other.examples[tid])

    def most_common(self, limit: int | None = None) -> list[tuple[str, int, str, str]]:
        """`(template_id, count, template, example)`, most frequent first."""
        return [
            (tid, count, self.texts[tid], self.examples[tid])
            for tid, count in self.counts.most_common(limit)
        ]
