"""How nova-api shows things: server status, server and flavor bodies, version documents."""

from __future__ import annotations

from datetime import datetime

__all__ = ["FLAVORS", "MAX_VERSION", "MIN_VERSION", "server_detail", "server_status", "versions"]

MIN_VERSION = "2.1"
MAX_VERSION = {"2016": "2.25", "current": "2.96"}

FLAVORS = {
    "1": {"name": "m1.tiny", "ram": 512, "vcpus": 1, "disk": 1},
    "2": {"name": "m1.small", "ram": 2048, "vcpus": 1, "disk": 20},
    "3": {"name": "m1.medium", "ram": 4096, "vcpus": 2, "disk": 40},
    "42": {"name": "m1.nano", "ram": 64, "vcpus": 1, "disk": 1},
}

# nova/api/openstack/common.py _STATE_MAP
_STATUS = {
    "active": {"default": "ACTIVE", "rebooting": "REBOOT", "reboot_pending": "REBOOT",
               "reboot_started": "REBOOT", "rebooting_hard": "HARD_REBOOT",
               "reboot_pending_hard": "HARD_REBOOT", "reboot_started_hard": "HARD_REBOOT",
               "rebuilding": "REBUILD", "rebuild_block_device_mapping": "REBUILD",
               "rebuild_spawning": "REBUILD", "migrating": "MIGRATING"},
    "building": {"default": "BUILD"},
    "stopped": {"default": "SHUTOFF", "rebuilding": "REBUILD", "rebuild_block_device_mapping": "REBUILD",
                "rebuild_spawning": "REBUILD"},
    "resized": {"default": "VERIFY_RESIZE"},
    "paused": {"default": "PAUSED", "rebooting_hard": "HARD_REBOOT"},
    "suspended": {"default": "SUSPENDED", "rebooting_hard": "HARD_REBOOT"},
    "rescued": {"default": "RESCUE"},
    "error": {"default": "ERROR", "rebuilding": "REBUILD", "rebuild_spawning": "REBUILD"},
    "deleted": {"default": "DELETED"},
    "soft-delete": {"default": "SOFT_DELETED"},
    "shelved": {"default": "SHELVED"},
    "shelved_offloaded": {"default": "SHELVED_OFFLOADED"},
}


def server_status(vm_state: str | None, task_state: str | None) -> str:
    states = _STATUS.get(vm_state or "", {"default": "UNKNOWN"})
    return states.get(task_state or "", states["default"])


def _time(value) -> str | None:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def server_detail(row: dict, base: str) -> dict:
    link = f"{base}/v2.1/servers/{row['uuid']}"
    return {
        "id": row["uuid"], "name": row["display_name"],
        "status": server_status(row["vm_state"], row["task_state"]),
        "tenant_id": row["project_id"], "user_id": row["user_id"], "metadata": {},
        "hostId": "", "image": {"id": row["image_ref"], "links": [
            {"rel": "bookmark", "href": f"{base}/images/{row['image_ref']}"}]},
        "flavor": {"id": row["flavor_id"], "links": [
            {"rel": "bookmark", "href": f"{base}/flavors/{row['flavor_id']}"}]},
        "created": _time(row["created_at"]), "updated": _time(row["updated_at"]),
        "addresses": {}, "accessIPv4": "", "accessIPv6": "",
        "links": [{"rel": "self", "href": link}, {"rel": "bookmark", "href": link}],
        "OS-DCF:diskConfig": "AUTO", "progress": 0, "key_name": None, "config_drive": "",
        "OS-EXT-AZ:availability_zone": "nova", "OS-EXT-SRV-ATTR:host": row["host"],
        "OS-EXT-SRV-ATTR:hypervisor_hostname": row["node"],
        "OS-EXT-SRV-ATTR:instance_name": "instance-" + row["uuid"][:8],
        "OS-EXT-STS:vm_state": row["vm_state"], "OS-EXT-STS:task_state": row["task_state"],
        "OS-EXT-STS:power_state": row["power_state"],
        "OS-SRV-USG:launched_at": _time(row["launched_at"]), "OS-SRV-USG:terminated_at": None,
        "os-extended-volumes:volumes_attached": [], "security_groups": [{"name": "default"}],
        "locked": bool(row["locked"]),
    }


def _version(base: str, style: str) -> dict:
    return {"id": "v2.1", "status": "CURRENT", "version": MAX_VERSION[style],
            "min_version": MIN_VERSION, "updated": "2013-07-23T11:33:21Z",
            "links": [{"rel": "self", "href": f"{base}/v2.1/"}],
            "media-types": [{"base": "application/json",
                             "type": "application/vnd.openstack.compute+json;version=2.1"}]}


def versions(base: str, style: str) -> dict:
    return {"versions": [_version(base, style)]}


def version(base: str, style: str) -> dict:
    return {"version": _version(base, style)}
