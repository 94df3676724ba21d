"""Compute drivers of mini-Nova, by name (``--driver fake``)."""

from analyzer.replay.drivers.base import POWER, Driver, DriverError
from analyzer.replay.drivers.fake import FakeDriver

__all__ = ["DRIVERS", "POWER", "Driver", "DriverError", "FakeDriver", "driver_class"]

DRIVERS: dict[str, type[Driver]] = {"fake": FakeDriver}


def driver_class(name: str) -> type[Driver]:
    """The driver class for ``name``; ValueError names the known ones."""
    try:
        return DRIVERS[name]
    except KeyError:
        raise ValueError(f"unknown driver {name!r} (known: {', '.join(sorted(DRIVERS))})") from None
