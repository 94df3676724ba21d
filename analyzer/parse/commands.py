"""Reads the command lines oslo.concurrency logs (`Running cmd (subprocess): …`).

Nova wraps its commands: `sudo nova-rootwrap /etc/nova/rootwrap.conf`, the prlimit
helper (`python -m oslo_concurrency.prlimit --as=… --cpu=… --`) and
`env LC_ALL=C LANG=C`.  This module unwraps them and, for qemu-img, names the
sub-command, the formats, the backing file and the paths (reference section 6).
"""

from __future__ import annotations

from functools import lru_cache

_WRAPPERS = {"sudo", "nova-rootwrap", "privsep-helper"}


def _unwrap(words: list[str]) -> list[str]:
    """Drop sudo/rootwrap, prlimit and `env VAR=…` prefixes."""
    if words and words[0] == "qemu-img":
        return words
    changed = True
    while changed and words:
        changed = False
        head = words[0].rsplit("/", 1)[-1]
        if head in _WRAPPERS:
            words = words[1:]
            if head == "nova-rootwrap" and words and words[0].endswith(".conf"):
                words = words[1:]
            changed = True
        elif head.startswith("python") and "oslo_concurrency.prlimit" in words[:3]:
            words = words[words.index("--") + 1:] if "--" in words else words[3:]
            changed = True
        elif head == "env":
            words = words[1:]
            while words and "=" in words[0] and not words[0].startswith("-"):
                words = words[1:]
            changed = True
    return words


@lru_cache(maxsize=8192)
def describe(command: str) -> dict[str, object]:
    """Fields of a logged command line: tool, and for qemu-img the details.

    Cached: `Running cmd` and its `CMD … returned` carry the same command.  The
    result is shared; callers copy it into their own dict.

    >>> describe("qemu-img convert -f qcow2 -O qcow2 /i/disk /s/tmp/abc")["target_format"]
    'qcow2'
    """
    # processutils logs " ".join(cmd): split on spaces, not with shell quoting rules.
    words = _unwrap(command.split())
    if not words:
        return {}
    tool = words[0].rsplit("/", 1)[-1]
    out: dict[str, object] = {"tool": tool}
    if tool != "qemu-img" or len(words) < 2:
        if len(words) > 1:
            out["args"] = words[1:]
        return out
    out["subcommand"] = words[1]
    paths: list[str] = []
    args = words[2:]
    index = 0
    while index < len(args):
        arg = args[index]
        value = args[index + 1] if index + 1 < len(args) else None
        if arg == "-f" and value is not None:
            out["source_format"] = value
            index += 2
            continue
        if arg == "-O" and value is not None:
            out["target_format"] = value
            index += 2
            continue
        if arg in ("-t", "-T") and value is not None:
            out["cache_mode"] = value
            index += 2
            continue
        if arg == "-o" and value is not None:
            for option in value.split(","):
                key, _, val = option.partition("=")
                if key == "backing_file":
                    out["backing_file"] = val
                elif key == "backing_fmt":
                    out["backing_format"] = val
                elif key in ("size", "cluster_size"):
                    out[key] = val
            index += 2
            continue
        if arg.startswith("-"):
            index += 1
            continue
        paths.append(arg)
        index += 1
    if words[1] == "create" and out.get("source_format") and "target_format" not in out:
        # `create -f qcow2` names the format of the image being created.
        out["target_format"] = out.pop("source_format")
    if words[1] in ("create", "resize") and len(paths) >= 2 and paths[-1][:1].isdigit():
        out["size"] = paths.pop()
    if paths:
        out["paths"] = paths
    if words[1] == "convert" and len(paths) >= 2:
        out["source"], out["target"] = paths[0], paths[-1]
    elif paths:
        out["target" if words[1] in ("create", "resize") else "path"] = paths[-1]
    return out
