"""Inputs: paths, directories, `.gz` files and standard input, read as blocks of whole lines.

A source is one log file.  It is read in blocks of whole lines so a large file never
sits in memory at once and the blocks can be parsed in parallel.  Bytes that are not
UTF-8 become U+FFFD; CRLF becomes LF; a line longer than `MAX_LINE` is cut, counted
and reported, never allowed to exhaust memory.
"""

from __future__ import annotations

import gzip
import os
import re
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from analyzer.errors import InputError

BLOCK_BYTES = 8 * 1024 * 1024
MAX_LINE = 1024 * 1024

# Files taken from a directory: logs by their usual names, plain or gzipped.
_LOG_NAME = re.compile(r"(\.log|\.txt|\.log\.[\w.:-]+)(\.gz)?$|\.gz$")

# Service from a file name: nova-compute.log, screen-n-cpu.txt, n-cpu.log.
_SERVICE_BY_NAME = (
    (re.compile(r"(nova-api|n-api|osapi)"), "nova-api"),
    (re.compile(r"(nova-scheduler|n-sch)"), "nova-scheduler"),
    (re.compile(r"(nova-conductor|n-cond)"), "nova-conductor"),
    (re.compile(r"(nova-compute|n-cpu)"), "nova-compute"),
)

# A directory named like a host: letters, digits, hyphens and dots, with a digit
# and a letter, no underscore (hostnames have none), not a date.
_HOST_DIR = re.compile(r"^(?=.*[A-Za-z])(?=.*[0-9])[A-Za-z0-9][A-Za-z0-9.-]*$")
_DATE_LIKE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")


@dataclass
class Source:
    """One input file (or standard input) and what its name tells."""

    path: Path | None  # None for standard input
    name: str  # as shown in the `source` column
    service: str | None = None  # from the file name
    host: str | None = None  # from a directory named like a host
    warnings: list[str] = field(default_factory=list)

    def open(self) -> BinaryIO:
        if self.path is None:
            return sys.stdin.buffer
        try:
            handle = open(self.path, "rb")  # noqa: SIM115 - closed by the reader
        except OSError as exc:
            raise InputError(f"{self.name}: cannot read: {exc.strerror}") from exc
        if self.path.name.endswith(".gz"):
            return gzip.GzipFile(fileobj=handle)  # type: ignore[return-value]
        return handle


def service_from_name(name: str) -> str | None:
    """The Nova service a file name stands for, if it says."""
    lowered = name.lower()
    for pattern, service in _SERVICE_BY_NAME:
        if pattern.search(lowered):
            return service
    return None


def host_from_path(path: Path) -> str | None:
    """The nearest parent directory named like a host (`hp-ms-01-c29/nova-compute.log`)."""
    for parent in list(path.parents)[:2]:
        name = parent.name
        if name and _HOST_DIR.match(name) and not _DATE_LIKE.match(name):
            return name
    return None


def expand(paths: list[str | Path]) -> list[Source]:
    """Turn command-line paths into sources; directories are walked recursively.

    Raises InputError for a path that does not exist, naming it.
    """
    sources: list[Source] = []
    for given in paths:
        text = str(given)
        if text == "-":
            sources.append(Source(None, "<stdin>"))
            continue
        path = Path(text)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and _LOG_NAME.search(p.name))
            if not files:
                raise InputError(f"{text}: directory holds no log files (*.log, *.txt, *.gz)")
            sources += [_source(p, str(p)) for p in files]
        elif path.exists():
            sources.append(_source(path, text))
        else:
            raise InputError(f"{text}: no such file or directory")
    return sources


def _source(path: Path, name: str) -> Source:
    return Source(path, name, service_from_name(path.name), host_from_path(path))


@dataclass
class Block:
    """A run of whole lines of one source, raw bytes with no trailing newline.

    A block of a plain file is only a byte range (`path`, `offset`, `length`): the
    process that parses it reads it, so the reading process does not copy every
    byte to its workers.  Blocks of `.gz` files and standard input carry `data`.
    Decoding (`decode`) happens where the block is parsed.
    """

    data: bytes | None = None
    path: Path | None = None
    offset: int = 0
    length: int = 0

    @property
    def size(self) -> int:
        return len(self.data) if self.data is not None else self.length

    def load(self) -> bytes:
        """The block's bytes; OSError if its file cannot be read any more."""
        if self.data is not None:
            return self.data
        assert self.path is not None
        with open(self.path, "rb") as handle:
            handle.seek(self.offset)
            return handle.read(self.length)


# How far past a planned cut a newline is looked for before the file is streamed instead.
_CUT_SEARCH = 4 * 1024 * 1024


def read_blocks(source: Source, block_bytes: int = BLOCK_BYTES) -> Iterator[Block]:
    """Yield the source's lines in blocks of about `block_bytes`, in order.

    Plain files are cut at the first newline past every `block_bytes` (byte ranges,
    read where they are parsed); compressed files and standard input are streamed.
    Problems that end reading early (a truncated `.gz`, an I/O error) are added to
    `source.warnings`; what was read before them is still yielded.  A line with no
    newline for longer than `MAX_LINE` bytes keeps only its start.
    """
    if source.path is None or source.path.name.endswith(".gz"):
        yield from _stream_blocks(source, block_bytes)
        return
    handle = source.open()
    try:
        size = os.fstat(handle.fileno()).st_size
        if size:  # the newline ending the file ends its last line; it starts no new one
            handle.seek(size - 1)
            if handle.read(1) == b"\n":
                size -= 1
        offset = 0
        while offset < size:
            target = offset + block_bytes
            if target >= size:
                yield Block(path=source.path, offset=offset, length=size - offset)
                return
            handle.seek(target)
            window = handle.read(_CUT_SEARCH)
            found = window.find(b"\n")
            if found < 0:  # a very long line: let the streaming reader cut it
                handle.seek(offset)
                yield from _stream_blocks(source, block_bytes, handle)
                return
            cut = target + found
            yield Block(path=source.path, offset=offset, length=cut - offset)
            offset = cut + 1
    except OSError as exc:
        source.warnings.append(f"{source.name}: reading stopped early ({_reason(exc)})")
    finally:
        handle.close()


def _stream_blocks(source: Source, block_bytes: int, handle: BinaryIO | None = None) -> Iterator[Block]:
    """Read the source (from the handle's position) and yield blocks that carry their bytes."""
    own = handle is None
    if handle is None:
        handle = source.open()
    carry = b""
    try:
        while True:
            chunk, problem = _read_chunk(handle, block_bytes)
            if problem is not None:
                source.warnings.append(f"{source.name}: reading stopped early ({problem})")
            if not chunk:
                break
            data = carry + chunk
            if problem is not None:  # nothing more will come: keep the partial last line
                carry = data
                break
            cut = data.rfind(b"\n")
            if cut < 0:
                if len(data) > MAX_LINE:
                    # One enormous line: keep its start, drop the rest up to the newline.
                    carry = data[:MAX_LINE]
                    _note_long_line(source.warnings, source.name)
                else:
                    carry = data
                continue
            carry = data[cut + 1 :]
            yield Block(data=data[:cut])
    finally:
        if own and source.path is not None:
            handle.close()
    if carry:
        yield Block(data=carry)


def _read_chunk(handle: BinaryIO, size: int) -> tuple[bytes, str | None]:
    """Read up to `size` bytes; on a read error return what came before it and the reason.

    `read1` hands out decompressed data piece by piece, so a `.gz` cut short loses
    only the piece it was cut in, not the whole block.
    """
    parts: list[bytes] = []
    got = 0
    read = getattr(handle, "read1", None) or handle.read
    try:
        while got < size:
            piece = read(min(size - got, 1024 * 1024))
            if not piece:
                break
            parts.append(piece)
            got += len(piece)
    except (EOFError, OSError, zlib.error, gzip.BadGzipFile) as exc:
        return b"".join(parts), _reason(exc)
    return b"".join(parts), None


def decode(data: bytes, check_long_lines: bool = True) -> tuple[str, bool, list[str]]:
    """Text of a raw block, whether it equals `data` as UTF-8, and what was wrong with it.

    Bytes that are not UTF-8 become U+FFFD; CRLF becomes LF (a lone CR inside a
    line stays); NUL bytes become U+FFFD; lines longer than MAX_LINE are cut (the
    check can be left to a caller that measures lines anyway).
    """
    problems: list[str] = []
    try:
        text = data.decode("utf-8")
        same = True
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="replace")
        same = False
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if text.endswith("\r"):
            text = text[:-1]
        same = False
    if "\x00" in text:
        problems.append("binary content (NUL bytes) read as text")
        text = text.replace("\x00", "\ufffd")
        same = False
    if check_long_lines and len(data) > MAX_LINE and longest_line(data) > MAX_LINE:
        text = cut_long_lines(text)
        problems.append(LONG_LINES)
        same = False
    return text, same, problems


def cut_long_lines(text: str) -> str:
    """`text` with every line longer than MAX_LINE characters cut to MAX_LINE."""
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if len(line) > MAX_LINE:
            lines[index] = line[:MAX_LINE]
    return "\n".join(lines)


LONG_LINES = f"lines longer than {MAX_LINE} characters were cut"


def longest_line(data: bytes) -> int:
    """Length in bytes of the longest line of `data` (vectorised: no split)."""
    newlines = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
    bounds = np.concatenate(([-1], newlines, [len(data)]))
    return int(np.diff(bounds).max()) - 1


def _note_long_line(warnings: list[str], name: str) -> None:
    message = f"{name}: {LONG_LINES}"
    if message not in warnings:
        warnings.append(message)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, EOFError):
        return "compressed file is truncated"
    return str(exc) or type(exc).__name__
