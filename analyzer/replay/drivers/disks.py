"""Instance disks as Nova's libvirt driver makes them: real qcow2 files by real ``qemu-img``.

Layout (reference section 6): base images cached in ``<instances>/_base/<sha1(image id)>``
(raw, as ``force_raw_images`` leaves them), each instance's ``<instances>/<uuid>/disk`` a
qcow2 overlay on its base, snapshots extracted under ``<instances>/snapshots/tmpXXXX/<hex>``.
Every command runs through processutils (``commands.run``), so the host log carries Nova's
``Running cmd (subprocess)`` / ``CMD … returned`` lines, worded per log style:

- 2016 (Nova 13): ``qemu-img info`` under prlimit ``--as=1073741824 --cpu=2``; ``qemu-img
  create -f qcow2 -o backing_file=<base>,backing_fmt=raw <disk>`` with no size, then ``qemu-img
  resize`` to the flavor's size; cold snapshots ``qemu-img convert -f qcow2 -O qcow2``; instance
  files moved with ``mv <dir> <dir>_del``.  Nova 13 passed no ``backing_fmt``; qemu-img 6.1 and
  later refuse a backing file without its format, so it is given.
- current: prlimit ``--as=2147483648 --cpu=30`` and ``--force-share --output=json``; one
  ``env LC_ALL=C LANG=C qemu-img create … <size>``; ``qemu-img convert -t none`` (``-t
  writeback`` where the directory has no O_DIRECT); ``os.rename`` before deleting files.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
import uuid as uuidlib
from collections import defaultdict
from pathlib import Path

from analyzer.replay.drivers.commands import ProcessLimits, run
from analyzer.replay.drivers.images import ImageStore

__all__ = ["Disks"]

_LIMITS = {"2016": ProcessLimits(address_space=1073741824, cpu_time=2),
           "current": ProcessLimits(address_space=2147483648, cpu_time=30)}
_LOCALE = ("env", "LC_ALL=C", "LANG=C")
_GIB = 1024 ** 3


def _direct_io(directory: Path) -> bool:
    """Whether files in ``directory`` can be opened with O_DIRECT (Nova's supports_direct_io)."""
    probe = directory / f".directio.test.{os.getpid()}"
    try:
        handle = os.open(probe, os.O_CREAT | os.O_WRONLY | getattr(os, "O_DIRECT", 0))
    except OSError:
        return False
    os.close(handle)
    probe.unlink(missing_ok=True)
    return hasattr(os, "O_DIRECT")


class Disks:
    """The disk files of one compute host, made with ``qemu-img`` through processutils."""

    def __init__(self, instances_path: Path, store: ImageStore, style: str, log) -> None:
        self.instances_path = instances_path
        self.base_path = instances_path / "_base"
        self.base_path.mkdir(parents=True, exist_ok=True)
        self.store = store
        self.style = style
        self.log = log
        self._base_locks: dict[str, threading.Lock] = defaultdict(threading.Lock)
        self._guard = threading.Lock()

    def instance_dir(self, uuid: str) -> Path:
        return self.instances_path / uuid

    # -- qemu-img ------------------------------------------------------------------------------
    def info(self, context, path: Path) -> dict[str, object]:
        """``qemu-img info`` under prlimit: format, virtual size and backing file of ``path``."""
        args = [*_LOCALE, "qemu-img", "info", str(path)]
        if self.style != "2016":
            args += ["--force-share", "--output=json"]
        out, _ = run(self.log, context, *args, prlimit=_LIMITS[self.style])
        if self.style != "2016":
            data = json.loads(out)
            return {"format": data.get("format"), "virtual_size": int(data.get("virtual-size", 0)),
                    "backing_file": data.get("backing-filename")}
        fmt = re.search(r"^file format: (\S+)", out, re.M)
        size = re.search(r"^virtual size: .*\((\d+) bytes\)", out, re.M)
        backing = re.search(r"^backing file: (.+)$", out, re.M)
        return {"format": fmt.group(1) if fmt else None, "virtual_size": int(size.group(1)) if size else 0,
                "backing_file": backing.group(1).strip() if backing else None}

    def _convert(self, context, source: Path, target: Path, source_fmt: str, target_fmt: str) -> None:
        if self.style == "2016":
            if target_fmt == "raw":  # images.convert_image in 13 puts -f after the paths
                args = ["qemu-img", "convert", "-O", target_fmt, str(source), str(target), "-f", source_fmt]
            else:
                args = ["qemu-img", "convert", "-f", source_fmt, "-O", target_fmt, str(source), str(target)]
        else:
            cache = "none" if _direct_io(target.parent) else "writeback"
            args = ["qemu-img", "convert", "-t", cache, "-O", target_fmt, "-f", source_fmt,
                    str(source), str(target)]
        run(self.log, context, *args)

    # -- images --------------------------------------------------------------------------------
    def fetch_base(self, context, image: dict) -> Path:
        """``_base/<sha1(image id)>``: downloaded once, converted to raw (``force_raw_images``)."""
        base = self.base_path / hashlib.sha1(str(image["id"]).encode()).hexdigest()
        with self._guard:
            lock = self._base_locks[base.name]
        with lock:
            if not base.exists():
                part = base.with_name(base.name + ".part")
                self.store.download(image, part)
                fmt = self.info(context, part)["format"] or "raw"
                if fmt != "raw":
                    converted = base.with_name(base.name + ".converted")
                    self.log.debug("nova.virt.images", f"{image['id']} was {fmt}, converting to raw",
                                   context, func="fetch_to_raw")
                    self._convert(context, part, converted, fmt, "raw")
                    part.unlink()
                    os.replace(converted, base)
                else:
                    os.replace(part, base)
        return base

    def create(self, context, instance: dict, image: dict, name: str = "disk", grow: bool = True) -> Path:
        """The instance's qcow2 overlay ``<uuid>/<name>`` on the image's base, at the flavor's size.

        A rescue disk (``grow=False``) keeps the image's size, as Nova passes it no size.
        """
        base = self.fetch_base(context, image)
        base_size = int(self.info(context, base)["virtual_size"])
        directory = self.instance_dir(instance["uuid"])
        directory.mkdir(parents=True, exist_ok=True)
        disk = directory / name
        size = max(int(instance.get("root_gb") or 0) * _GIB, base_size) if grow else base_size
        options = f"backing_file={base},backing_fmt=raw"
        if self.style == "2016":
            run(self.log, context, "qemu-img", "create", "-f", "qcow2", "-o", options, str(disk))
            if size > base_size:  # disk.extend: can_resize_image looks at the disk first
                self.info(context, disk)
                run(self.log, context, "qemu-img", "resize", str(disk), str(size))
        else:
            run(self.log, context, *_LOCALE, "qemu-img", "create", "-f", "qcow2", "-o", options,
                str(disk), str(size))
        return disk

    # -- snapshots -----------------------------------------------------------------------------
    def snapshot_target(self) -> Path:
        """A fresh ``snapshots/tmpXXXX/<hex>`` path for an extracted snapshot."""
        snapshots = self.instances_path / "snapshots"
        snapshots.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(dir=snapshots)) / uuidlib.uuid4().hex

    def extract_cold(self, context, disk: Path, out: Path) -> None:
        self._convert(context, disk, out, "qcow2", "qcow2")

    def create_delta(self, context, disk: Path, delta: Path) -> None:
        """The live snapshot's delta: a qcow2 on the disk's own backing file, at its size."""
        details = self.info(context, disk)
        options = f"backing_file={details['backing_file']},backing_fmt=raw,cluster_size=65536"
        run(self.log, context, *_LOCALE, "qemu-img", "create", "-f", "qcow2", "-o", options, str(delta),
            str(details["virtual_size"]))

    def extract_delta(self, context, delta: Path, out: Path) -> None:
        self._convert(context, delta, out, "qcow2", "qcow2")

    # -- deletion ------------------------------------------------------------------------------
    def delete_instance_files(self, context, uuid: str, instance_log) -> None:
        """``<uuid>`` -> ``<uuid>_del`` (2016: ``mv``; current: os.rename), then removed."""
        directory = self.instance_dir(uuid)
        target = Path(f"{directory}_del")
        if directory.exists():
            if self.style == "2016":
                run(self.log, context, "mv", str(directory), str(target))
            else:
                os.replace(directory, target)
        instance_log(f"Deleting instance files {target}")
        shutil.rmtree(target, ignore_errors=True)
        instance_log(f"Deletion of {target} complete")
