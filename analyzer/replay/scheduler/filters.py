"""Host filters and the weigher of mini-Nova's scheduler (Nova's RamFilter, CoreFilter, DiskFilter)."""

from __future__ import annotations

__all__ = ["FILTERS", "RAM_ALLOCATION_RATIO", "weigh"]

RAM_ALLOCATION_RATIO = 1.5
CPU_ALLOCATION_RATIO = 16.0
DISK_ALLOCATION_RATIO = 1.0


def ram_filter(host: dict, spec: dict) -> bool:
    return host["memory_mb"] * RAM_ALLOCATION_RATIO - host["memory_mb_used"] >= spec["memory_mb"]


def core_filter(host: dict, spec: dict) -> bool:
    return host["vcpus"] * CPU_ALLOCATION_RATIO - host["vcpus_used"] >= spec["vcpus"]


def disk_filter(host: dict, spec: dict) -> bool:
    return host["local_gb"] * DISK_ALLOCATION_RATIO - host["local_gb_used"] >= spec["root_gb"]


FILTERS = (("RamFilter", ram_filter), ("CoreFilter", core_filter), ("DiskFilter", disk_filter))


def weigh(host: dict) -> float:
    """Nova's RAMWeigher: more free RAM weighs more (normalised by the caller)."""
    return float(host["memory_mb"] - host["memory_mb_used"])
