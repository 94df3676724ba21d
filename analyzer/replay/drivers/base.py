"""The compute driver interface of mini-Nova: what nova-compute asks of a hypervisor.

Contract: the compute manager (``compute/manager.py``) calls these methods from its RPC
endpoints, one operation at a time per instance (the manager holds the instance's lock).
A driver

- logs what Nova's libvirt driver logs for the step (INFO ``Instance destroyed successfully.``,
  the DEBUG ``Running cmd (subprocess): qemu-img …`` lines) through ``self.log``;
- reports hypervisor lifecycle events (``Started``, ``Paused``, ``Resumed``, ``Stopped``) by
  calling ``self.emit_event(uuid, name)``, as libvirt's domain events reach Nova's manager;
- raises ``DriverError`` (chained to the backend's error) when the hypervisor fails.

``instance`` is a dict with at least ``uuid``, ``image_ref``, ``root_gb``, ``memory_mb`` and
``vcpus``; ``context`` is the request's oslo.context (for the log lines' request id).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

__all__ = ["POWER", "Driver", "DriverError"]

# Nova's power_state integers (reference 1.3).
POWER = {"pending": 0, "running": 1, "paused": 3, "shutdown": 4, "crashed": 6, "suspended": 7}


class DriverError(Exception):
    """The hypervisor failed an operation."""


class Driver(ABC):
    """A hypervisor seen from nova-compute; a driver implements every abstract method."""

    name = "base"
    capabilities: dict[str, bool] = {"has_imagecache": True, "supports_recreate": False}

    def __init__(self, host: str, state_dir: str, log, style: str,
                 emit_event: Callable[[str, str], None], timing=None) -> None:
        self.host = host
        self.state_dir = state_dir
        self.log = log
        self.style = style
        self.emit_event = emit_event
        self.timing = timing

    def close(self) -> None:  # noqa: B027 -- optional: most drivers hold no connection
        """Release the hypervisor connection (nothing to release by default)."""

    @abstractmethod
    def get_power_state(self, uuid: str) -> int:
        ...

    @abstractmethod
    def spawn(self, context, instance: dict, image: dict, wait_for_vifs: bool = True) -> None:
        ...

    @abstractmethod
    def destroy(self, context, instance: dict, destroy_disks: bool = True) -> None:
        ...

    @abstractmethod
    def power_off(self, context, instance: dict) -> None:
        ...

    @abstractmethod
    def power_on(self, context, instance: dict) -> None:
        ...

    @abstractmethod
    def reboot(self, context, instance: dict, reboot_type: str) -> None:
        ...

    @abstractmethod
    def pause(self, context, instance: dict) -> None:
        ...

    @abstractmethod
    def unpause(self, context, instance: dict) -> None:
        ...

    @abstractmethod
    def suspend(self, context, instance: dict) -> None:
        ...

    @abstractmethod
    def resume(self, context, instance: dict) -> None:
        ...

    @abstractmethod
    def rescue(self, context, instance: dict, image: dict) -> None:
        ...

    @abstractmethod
    def unrescue(self, context, instance: dict) -> None:
        ...

    @abstractmethod
    def snapshot(self, context, instance: dict, image_id: str,
                 update_task_state: Callable[[str, str], None]) -> int:
        """Extract the disk and upload it; returns the image size in bytes."""
        ...
