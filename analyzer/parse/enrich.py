"""What the parser adds to the grammar's fields: derived fields, tracebacks, services.

The grammar says where a value is in a message; this module says what it means
when that takes code: the API action of a URL, the qemu-img details of a command
line, the canonical state of a localized lifecycle word, the exception at the end
of a traceback, the Nova service a record comes from.
"""

from __future__ import annotations

import json
import re
import tomllib
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from analyzer.parse.commands import describe
from analyzer.parse.jsonfields import dumps, loads
from analyzer.vocab.events import TRACEBACK, TRACEBACK_LINE
from analyzer.vocab.resources import grammars_dir

_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_SERVERS_PATH = re.compile(
    r"/servers(?:/(?P<server>[^/?\s]+))?(?:/(?P<sub>[^/?\s]+))?"
)
_ACTION_METHOD = re.compile(r"\.(?:_action_|_)(?P<name>\w+?)(?:_server)? of ")
_EXCEPTION_LINE = re.compile(r"(?P<exc_type>[A-Za-z_][\w.]*(?:Error|Exception|Exit|Timeout|Failure|"
                             r"Fault|NotFound|Invalid\w*|[A-Z]\w*))(?:: (?P<exc_message>.*))?")
_TRACEBACK_START = "Traceback (most recent call last):"
_TRACEBACK_WINDOW = 2000  # lines a header-bearing traceback may span

# Havana's `Lifecycle event N on VM …` codes (nova/virt/event.py of 2013).
_LIFECYCLE_CODES = {0: "Started", 1: "Stopped", 2: "Paused", 3: "Resumed"}
_INSTANCE_FIELDS = ("vm_uuid", "instance_ref", "build_instance", "instance_uuid")


@lru_cache(maxsize=1)
def lifecycle_words() -> dict[str, str]:
    """Localized lifecycle state word -> English state (grammars/lifecycle_states.toml)."""
    path = grammars_dir() / "lifecycle_states.toml"
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        table = tomllib.load(handle)
    words: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, str):
            words[key] = value
        elif isinstance(value, dict):  # [language] sections
            words.update({k: v for k, v in value.items() if isinstance(v, str)})
    return words


_ENRICHED_EVENTS = frozenset({"api_request", "api_action", "lifecycle", "api_refusal"})
_ENRICHED_FIELDS = frozenset({"cmd", *_INSTANCE_FIELDS})


def needs_fields(event: str, names: set[str] | frozenset[str]) -> bool:
    """Whether `fields()` adds anything for this event with these field names."""
    return event in _ENRICHED_EVENTS or bool(_ENRICHED_FIELDS & names)


def fields(event: str, values: dict[str, object]) -> dict[str, object]:
    """Add derived fields to the grammar's `values` of one `event` (in place)."""
    if "cmd" in values and isinstance(values["cmd"], str):
        values.update(describe(values["cmd"]))
    if event == "api_request":
        _api_request(values)
    elif event == "api_action":
        _api_action(values)
    elif event == "lifecycle":
        word = values.get("lifecycle_state")
        if isinstance(word, str):
            values["state"] = lifecycle_words().get(word, word)
        elif "lifecycle_code" in values:
            values["state"] = _LIFECYCLE_CODES.get(int(values["lifecycle_code"]), "Unknown")  # type: ignore[arg-type]
    elif event == "api_refusal":
        values["refusal"] = "state" if "refused_action" in values else "locked"
    for name in _INSTANCE_FIELDS:
        candidate = values.get(name)
        if isinstance(candidate, str) and _UUID.fullmatch(candidate):
            values.setdefault("instance", candidate)
            break
    return values


def _api_request(values: dict[str, object]) -> None:
    path = str(values.get("url_path", ""))
    method = str(values.get("http_method", ""))
    found = _SERVERS_PATH.search(path)
    if not found:
        values["action"] = path.rstrip("/").rsplit("/", 1)[-1].split("?")[0] or "root"
        return
    server, sub = found["server"], found["sub"]
    if server and _UUID.fullmatch(server):
        values["instance"] = server
    if server in (None, ""):
        values["action"] = {"POST": "create", "GET": "list"}.get(method, method.lower())
    elif server == "detail":
        values["action"] = "list"
    elif sub is None:
        values["action"] = {"GET": "show", "DELETE": "delete", "PUT": "update"}.get(method, method.lower())
    else:
        values["action"] = sub  # "action" (body decides), "os-instance-actions", …


def _api_action(values: dict[str, object]) -> None:
    body = values.get("body")
    if isinstance(body, str):
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and parsed:
            key = next(iter(parsed))
            values["action"] = key
            if key == "reboot" and isinstance(parsed[key], dict):
                values["reboot_type"] = str(parsed[key].get("type", "")).upper()
            return
    found = _ACTION_METHOD.search(str(values.get("controller_method", "")))
    if found:
        values["action"] = found["name"]


# The fields `fields()` reads: what it adds depends on these values only.
_DERIVED_FROM = ("http_method", "url_path", "cmd", "lifecycle_state", "lifecycle_code",
                 "refused_action", "body", "controller_method", *_INSTANCE_FIELDS)


def derive_inputs(rule) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    """The fields of `rule` whose values decide what `fields()` adds; () if it adds nothing."""
    if not needs_fields(rule.event, frozenset(rule.kinds)):
        return ()
    return tuple(name for name in _DERIVED_FROM if name in rule.kinds)


def derive_key(rule, found: re.Match[str]) -> str | None:  # type: ignore[no-untyped-def]
    """A matched record's derivation key: its `derive_inputs` raw values, NUL-separated."""
    names = derive_inputs(rule)
    if not names:
        return None
    return "\x00".join(found.group(name) or "" for name in names)


Updates = list[tuple[np.ndarray, pa.Array]]
"""Row replacements for a column: (rows, new values) pairs, each pair's rows ascending."""


# What `fields` adds per distinct input, shared by the rules and blocks of one parse
# that have the same inputs (`Running cmd` and its `CMD … returned` carry the same
# command line); emptied when full and when a parse starts.  Only whole entries are
# stored, so threads may share it.
_MEMO: dict[tuple[object, ...], tuple[str, str | None, frozenset[str]]] = {}
_MEMO_LIMIT = 100_000


def forget_derived() -> None:
    """Empty the memo of derived fields (a new parse starts)."""
    _MEMO.clear()


def _memo_class(rule) -> tuple[object, ...]:  # type: ignore[no-untyped-def]
    """What besides the raw key values decides `fields`' result for `rule`."""
    names = derive_inputs(rule)
    event = rule.event if rule.event in _ENRICHED_EVENTS else ""
    return (event, names, tuple(rule.kinds[name] for name in names))


def _derive_one(rule, names: tuple[str, ...], key: str,  # type: ignore[no-untyped-def]
                memo_class: tuple[object, ...]) -> tuple[str, str | None, frozenset[str]]:
    """(JSON suffix, instance hint, names added) of one distinct key, memoized."""
    memo_key = (memo_class, key)
    known = _MEMO.get(memo_key)
    if known is not None:
        return known
    given = {name: _typed(rule, name, value)
             for name, value in zip(names, key.split("\x00") if names else [], strict=True) if value}
    added = {k: v for k, v in fields(rule.event, dict(given)).items() if k not in given}
    hint = added.get("instance")
    entry = ("," + dumps(added)[1:] if added else "", hint if isinstance(hint, str) else None,
             frozenset(added))
    if len(_MEMO) >= _MEMO_LIMIT:
        _MEMO.clear()
    _MEMO[memo_key] = entry
    return entry


def derived(patterns: np.ndarray, field_json: pa.Array, keys: pa.Array | None,
            rules: list) -> tuple[Updates, Updates]:
    """Derived fields for the records whose rule needs them (see `fields`).

    Returns updates of the fields JSON, and the instances the fields name (API
    paths, `Lifecycle event N on VM <uuid>`, 409 refusals …).  What `fields` adds
    depends only on a rule's `derive_inputs`, whose raw values the parser put in
    `keys`; so per distinct key `fields` runs once (see `_MEMO`), and what it adds
    is appended to each row's JSON text.
    """
    field_updates: Updates = []
    hint_updates: Updates = []
    if keys is None:
        return [], []
    for index, rule in enumerate(rules):
        if not needs_fields(rule.event, frozenset(rule.kinds)):
            continue
        rows = np.nonzero(patterns == index)[0]
        if len(rows) == 0:
            continue
        names = derive_inputs(rule)
        memo_class = _memo_class(rule)
        texts = pc.take(field_json, pa.array(rows))
        groups = pc.dictionary_encode(pc.fill_null(pc.take(keys, pa.array(rows)), ""))
        entries = [_derive_one(rule, names, key, memo_class) for key in groups.dictionary.to_pylist()]
        suffixes = [suffix for suffix, _, _ in entries]
        group_hints = [hint for _, hint, _ in entries]
        clashes = [not added.isdisjoint(rule.kinds) for _, _, added in entries]
        codes = groups.indices.to_numpy(zero_copy_only=False)
        if any(clashes):  # it would replace a value the rule captured: do those rows in full
            clash_rows = np.array(clashes)[codes]
            clashing = pc.filter(texts, pa.array(clash_rows)).to_pylist()
            full = [fields(rule.event, loads(text)) for text in clashing]
            field_updates.append((rows[clash_rows], pa.array([dumps(v) for v in full], type=pa.string())))
            found = [v.get("instance") if isinstance(v.get("instance"), str) else None for v in full]
            hint_updates.append((rows[clash_rows], pa.array(found, type=pa.string())))
            keep = ~clash_rows
            rows, codes, texts = rows[keep], codes[keep], pc.filter(texts, pa.array(keep))
        code_array = pa.array(codes)
        suffix = pc.take(pa.array(suffixes, type=pa.string()), code_array)
        has = pc.and_(pc.not_equal(suffix, ""), pc.is_valid(texts))
        if pc.any(has).as_py():
            joined = pc.binary_join_element_wise(pc.utf8_slice_codeunits(texts, 0, -1), suffix, "")
            field_updates.append((rows[has.to_numpy(zero_copy_only=False)], pc.filter(joined, has)))
        if any(h is not None for h in group_hints):
            hinted = pc.take(pa.array(group_hints, type=pa.string()), code_array)
            valid = pc.is_valid(hinted)
            hint_updates.append((rows[valid.to_numpy(zero_copy_only=False)], pc.filter(hinted, valid)))
    return field_updates, hint_updates


def _typed(rule, name: str, value: str) -> object:  # type: ignore[no-untyped-def]
    kind = rule.kinds.get(name)
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    return value


def tracebacks(message: pa.Array, level: pa.Array, pid: pa.Array, logger: pa.Array,
               continuation: pa.Array, field_json: pa.Array) -> tuple[dict[int, str], dict[int, str]]:
    """Type traceback lines and attach the exception to the record that raised it.

    oslo.log prints a traceback one header-bearing line per traceback line (same
    pid and logger, level ERROR, TRACE before oslo.log 1.2): the first becomes a
    `traceback` event carrying the exception type and message of the block's last
    line, the others `traceback_line`.  A traceback printed as continuation lines
    adds `exc_type` / `exc_message` to the fields of the record above it.
    Returns row -> event and row -> fields JSON updates.
    """
    events: dict[int, str] = {}
    updates: dict[int, str] = {}
    starts = pc.indices_nonzero(pc.equal(message, _TRACEBACK_START)).to_pylist()
    count = len(message)
    for start in starts:
        if start in events:
            continue
        window = slice(start, min(count, start + _TRACEBACK_WINDOW))
        texts = message[window].to_pylist()
        pids = pid[window].to_pylist()
        loggers = logger[window].to_pylist()
        levels = level[window].to_pylist()
        end = 1
        while (end < len(texts) and pids[end] == pids[0] and loggers[end] == loggers[0]
               and levels[end] == levels[0] and texts[end] != _TRACEBACK_START):
            end += 1
        exception = _last_exception(texts[1:end])
        events[start] = TRACEBACK
        updates[start] = dumps({**exception, "lines": end})
        for index in range(start + 1, start + end):
            events[index] = TRACEBACK_LINE
    inline = pc.indices_nonzero(pc.fill_null(pc.match_substring(continuation, _TRACEBACK_START),
                                             False)).to_pylist()
    for index in inline:
        text = continuation[index].as_py()
        exception = _last_exception(text.split(_TRACEBACK_START, 1)[1].split("\n"))
        if exception:
            previous = field_json[index].as_py()
            current = loads(previous) if previous else {}
            current.update(exception)
            updates[index] = dumps(current)
    return events, updates


def _last_exception(lines: list[str]) -> dict[str, str]:
    for line in reversed(lines):
        if not line.strip() or line[:1].isspace():
            continue
        found = _EXCEPTION_LINE.fullmatch(line.strip())
        if found:
            out = {"exc_type": found["exc_type"]}
            if found["exc_message"] is not None:
                out["exc_message"] = found["exc_message"]
            return out
        return {"exc_type": "", "exc_message": line.strip()}
    return {}


# Loggers by the service that runs them; the longest matching prefix wins.
_LOGGER_SERVICES = (
    ("nova.osapi_compute", "nova-api"),
    ("nova.api", "nova-api"),
    ("nova.compute.api", "nova-api"),
    ("nova.scheduler", "nova-scheduler"),
    ("nova.conductor", "nova-conductor"),
    ("nova.compute", "nova-compute"),
    ("nova.virt", "nova-compute"),
)
_PREFIX_SERVICES = (
    (re.compile(r"nova-api|n-api|osapi"), "nova-api"),
    (re.compile(r"nova-scheduler|n-sch|scheduler"), "nova-scheduler"),
    (re.compile(r"nova-conductor|n-cond|conductor"), "nova-conductor"),
    (re.compile(r"nova-compute|n-cpu|compute"), "nova-compute"),
)


@lru_cache(maxsize=4096)
def service_of_prefix(prefix: str) -> str | None:
    """Service named by a loghub file prefix, a merge alias or a journald unit."""
    lowered = prefix.lower()
    for pattern, service in _PREFIX_SERVICES:
        if pattern.search(lowered):
            return service
    return None


@lru_cache(maxsize=4096)
def service_of_logger(logger: str) -> str:
    for prefix, service in _LOGGER_SERVICES:
        if logger == prefix or logger.startswith(prefix + "."):
            return service
    return "other"


def services(from_name: str | None, source_file: pa.Array, alias: pa.Array,
             unit: pa.Array, logger: pa.Array) -> pa.Array:
    """Service per record: file name, then prefix, then journald unit, then logger."""
    count = len(logger)
    if from_name is not None:
        return pa.array([from_name] * count, type=pa.string())
    result = pa.nulls(count, pa.string())
    for prefix in (source_file, alias, unit):
        result = pc.coalesce(result, _map_unique(prefix, service_of_prefix))
    return pc.coalesce(result, _map_unique(logger, service_of_logger))


def _map_unique(values: pa.Array, function) -> pa.Array:  # type: ignore[no-untyped-def]
    """Apply `function` to each distinct value (empty strings give null)."""
    encoded = pc.dictionary_encode(values)
    mapped = [function(v) if v else None for v in encoded.dictionary.to_pylist()]
    return pc.take(pa.array(mapped, type=pa.string()), encoded.indices)
