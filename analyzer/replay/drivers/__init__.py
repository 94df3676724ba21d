"""Compute drivers of mini-Nova, by name (``--driver fake``, ``--driver libvirt``)."""

from __future__ import annotations

from analyzer.replay.drivers.base import POWER, Driver, DriverError
from analyzer.replay.drivers.fake import FakeDriver

__all__ = ["DRIVERS", "POWER", "Driver", "DriverError", "FakeDriver", "driver_class"]

DRIVERS: dict[str, type[Driver] | None] = {"fake": FakeDriver, "libvirt": None}


def _libvirt_driver() -> type[Driver]:
    """The libvirt driver, imported only when asked for: it needs libvirt-python."""
    try:
        from analyzer.replay.drivers.libvirt import LibvirtDriver
    except ImportError as error:
        raise ValueError(f"--driver libvirt needs libvirt-python ({error}); install it with "
                         "pip install 'novatrace[libvirt]' (Debian: apt-get install libvirt-dev "
                         "pkg-config qemu-utils first)") from None
    return LibvirtDriver


def driver_class(name: str) -> type[Driver]:
    """The driver class for ``name``; ValueError names the known ones."""
    if name not in DRIVERS:
        raise ValueError(f"unknown driver {name!r} (known: {', '.join(sorted(DRIVERS))})")
    if name == "libvirt":
        return _libvirt_driver()
    return DRIVERS[name]
