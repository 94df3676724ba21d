"""Record timestamps to UTC, vectorised.

oslo.log writes local wall-clock time without a zone (`2016-06-28 13:53:52.455`);
journald's short format has no year (`Jun 28 13:53:52`).  Both are read as UTC
unless `--tz` names the zone the logs were written in; the syslog year comes from
the file (see `pipeline.source_year`).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analyzer.errors import InputError

UTC_MICROS = pa.timestamp("us", tz="UTC")
_NAIVE_MICROS = pa.timestamp("us")


def check_zone(name: str | None) -> str | None:
    """Validate a `--tz` value, raising InputError with the accepted form."""
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InputError(
            f"unknown time zone {name!r}; use an IANA name such as Europe/Berlin or UTC"
        ) from exc
    return name


def _with_fraction(text: pa.Array, base_len: int, fmt: str) -> pa.Array:
    """Parse `fmt` on the first `base_len` characters, plus an optional `.ffffff`."""
    base = pc.strptime(pc.utf8_slice_codeunits(text, 0, base_len), format=fmt, unit="us",
                       error_is_null=True)
    fraction = pc.utf8_slice_codeunits(text, base_len + 1, base_len + 7)
    fraction = pc.utf8_rpad(fraction, width=6, padding="0")
    micros = pc.cast(pc.if_else(pc.match_substring_regex(fraction, r"^[0-9]{6}$"), fraction,
                                "000000"), pa.int64())
    return pc.add(pc.cast(base, pa.int64()), micros).cast(_NAIVE_MICROS)


def parse_times(iso: pa.Array, syslog: pa.Array, tz: str | None, year: int,
                iso_micros: pa.Array | None = None) -> pa.Array:
    """UTC timestamps of records; null where a record carries none (bare format).

    `iso_micros`, when given, holds the ISO header times already read (native parser).
    """
    count = len(iso)
    result = pa.nulls(count, _NAIVE_MICROS)
    if count == 0:
        return result.cast(UTC_MICROS)
    iso_text = iso
    if iso_micros is not None:
        result = iso_micros
    elif pc.any(pc.not_equal(iso_text, "")).as_py():
        iso_text = pc.replace_substring(pc.replace_substring(iso_text, ",", "."), "T", " ")
        result = pc.coalesce(_with_fraction(iso_text, 19, "%Y-%m-%d %H:%M:%S"), result)
    syslog_text = syslog
    if pc.any(pc.not_equal(syslog_text, "")).as_py():
        result = pc.coalesce(result, _syslog(syslog_text, year))
    if tz:
        local = pd.Series(result.to_pandas(), dtype="datetime64[us]")
        converted = local.dt.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward")
        return pa.array(converted.dt.tz_convert("UTC"), type=UTC_MICROS)
    return result.cast(UTC_MICROS)


def _syslog(text: pa.Array, year: int) -> pa.Array:
    """`Jun 28 13:53:52[.ffffff]` (year added) or ISO 8601 with an offset (short-iso)."""
    short = pc.replace_substring(text, "  ", " 0")
    short = pc.binary_join_element_wise(pa.scalar(str(year)), short, " ")
    parsed = _with_fraction(short, 20, "%Y %b %d %H:%M:%S")
    iso_rows = pc.match_substring_regex(text, r"^[0-9]{4}-")
    if pc.any(iso_rows).as_py():
        values = pd.to_datetime(pd.Series(text.to_pylist()), utc=True, errors="coerce",
                                format="ISO8601")
        iso = pa.array(values.dt.tz_convert("UTC").dt.tz_localize(None), type=_NAIVE_MICROS)
        parsed = pc.if_else(iso_rows, iso, parsed)
    return parsed
