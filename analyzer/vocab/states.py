"""Nova's instance state words: vm_state, task_state, power_state (reference section 1).

Power states are integers in Nova's database and log lines ("DB power_state (1)");
novatrace shows them by name and accepts either.
"""

from __future__ import annotations

from dataclasses import dataclass

VM_STATES = frozenset({
    "active", "building", "paused", "suspended", "stopped", "rescued", "resized",
    "soft-delete", "deleted", "error", "shelved", "shelved_offloaded",
})

TASK_STATES = frozenset({
    "scheduling", "block_device_mapping", "networking", "spawning",
    "image_snapshot", "image_snapshot_pending", "image_pending_upload", "image_uploading",
    "image_backup", "updating_password",
    "resize_prep", "resize_migrating", "resize_migrated", "resize_finish", "resize_reverting",
    "resize_confirming",
    "rebooting", "reboot_pending", "reboot_started", "rebooting_hard", "reboot_pending_hard",
    "reboot_started_hard",
    "pausing", "unpausing", "suspending", "resuming", "powering-off", "powering-on",
    "rescuing", "unrescuing",
    "rebuilding", "rebuild_block_device_mapping", "rebuild_spawning",
    "migrating", "deleting", "soft-deleting", "restoring",
    "shelving", "shelving_image_pending_upload", "shelving_image_uploading",
    "shelving_offloading", "unshelving",
})

NO_TASK = "none"
"""How specs and reports write task_state None."""

POWER_STATES = {0: "pending", 1: "running", 3: "paused", 4: "shutdown", 6: "crashed", 7: "suspended"}
POWER_BY_NAME = {name: number for number, name in POWER_STATES.items()}

# What a hypervisor lifecycle event says about power (manager.handle_lifecycle_event).
LIFECYCLE_POWER = {
    "Started": "running", "Resumed": "running", "Stopped": "shutdown", "Paused": "paused",
    "Suspended": "suspended", "Postcopy started": "paused", "Migration completed": "paused",
}


def power_name(value: object) -> str | None:
    """A power state as its name, from a name or Nova's integer (None if unknown)."""
    if value is None:
        return None
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return POWER_STATES.get(int(value))
    text = str(value).lower()
    return text if text in POWER_BY_NAME else None


@dataclass(frozen=True)
class InstanceState:
    """(vm_state, task_state, power_state); None where the log has not shown it yet."""

    vm: str | None = None
    task: str | None = None  # "none" = no task; None = not known
    power: str | None = None

    def with_changes(self, vm: str | None, task: str | None, power: str | None) -> InstanceState:
        """This state with the given parts replaced (None keeps a part as it is)."""
        if (vm is None or vm == self.vm) and (task is None or task == self.task) and (
                power is None or power == self.power):
            return self
        parts = (vm if vm is not None else self.vm, task if task is not None else self.task,
                 power if power is not None else self.power)
        known = _MADE.get(parts)
        if known is None:  # states are values: each one made once (a log moves through a few dozen)
            if len(_MADE) >= _MADE_LIMIT:  # vm_state words come from the log: keep the table bounded
                _MADE.clear()
            known = _MADE[parts] = InstanceState(*parts)
        return known

    def as_dict(self) -> dict[str, str | None]:
        return {"vm_state": self.vm, "task_state": self.task, "power_state": self.power}

    def __str__(self) -> str:
        return f"({self.vm or '?'}, {self.task or '?'}, {self.power or '?'})"


_MADE: dict[tuple[str | None, str | None, str | None], InstanceState] = {}
_MADE_LIMIT = 10_000
