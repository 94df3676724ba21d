"""The image store of mini-Nova: the bytes of each image, as Glance's file store keeps them.

One file per image, ``<store>/<image id>``.  The database holds the image records; an image
whose record has no bytes yet (the default cirros image) gets a blank disk of its recorded
size and format the first time a compute host downloads it, made with ``qemu-img create``
(sparse: a 24 MiB image takes a few hundred KiB).  Snapshots are uploaded here by the driver.
These are Glance's files, not Nova's: nothing here is logged in Nova's logs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path

__all__ = ["ImageStore"]

_DEFAULT_SIZE = 25165824  # cirros 0.3.4's size, for a record that has none


class ImageStore:
    """``<directory>/<image id>`` files; ``download`` and ``upload`` as Glance's API would."""

    def __init__(self, directory: str | os.PathLike) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def path(self, image_id: str) -> Path:
        return self.directory / str(image_id)

    def _materialise(self, image: dict) -> Path:
        path = self.path(image["id"])
        with self._lock:
            if not path.exists():
                fmt = "qcow2" if image.get("disk_format") == "qcow2" else "raw"  # ami, raw: raw
                size = int(image.get("size") or _DEFAULT_SIZE)
                partial = path.with_name(f"{path.name}.{os.getpid()}.creating")  # hosts may be processes
                subprocess.run(["qemu-img", "create", "-q", "-f", fmt, str(partial), str(size)],
                               check=True, capture_output=True)
                os.replace(partial, path)
        return path

    def download(self, image: dict, destination: Path) -> None:
        """Copy the image's bytes to ``destination`` (Glance's image download)."""
        shutil.copyfile(self._materialise(image), destination)

    def upload(self, image_id: str, source: Path) -> int:
        """Store ``source`` as the bytes of ``image_id``; its size in bytes."""
        target = self.path(image_id)
        partial = target.with_name(target.name + ".uploading")
        shutil.copyfile(source, partial)
        os.replace(partial, target)
        return target.stat().st_size
