"""Nova's API admission rules (reference section 2): which states each action is allowed from.

``RULES[action]`` gives the allowed vm_states (None = any), the allowed task_states (None =
any), whether the instance lock is checked, the task_state the API sets, and the word of
Nova's 409 (``Cannot 'resume' instance <id> while it is in vm_state active``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ALLOW_REBOOT", "RULES", "Rule", "refusal"]

ALLOW_REBOOT = (None, "rebooting", "reboot_pending", "reboot_started", "rebooting_hard",
                "reboot_pending_hard", "reboot_started_hard", "resuming", "unpausing", "pausing",
                "suspending")


@dataclass(frozen=True)
class Rule:
    vm_states: tuple[str, ...] | None
    task_states: tuple[str | None, ...] | None
    lock_checked: bool
    task_state: str | None
    word: str
    compute_method: str | None
    instance_action: str


RULES: dict[str, Rule] = {
    "os-start": Rule(("stopped",), (None,), True, "powering-on", "start", "start_instance", "start"),
    "os-stop": Rule(("active", "error"), (None,), True, "powering-off", "stop", "stop_instance", "stop"),
    "pause": Rule(("active",), (None,), True, "pausing", "pause", "pause_instance", "pause"),
    "unpause": Rule(("paused",), (None,), True, "unpausing", "unpause", "unpause_instance", "unpause"),
    "suspend": Rule(("active",), (None,), True, "suspending", "suspend", "suspend_instance", "suspend"),
    "resume": Rule(("suspended",), (None,), True, "resuming", "resume", "resume_instance", "resume"),
    "rescue": Rule(("active", "stopped", "error"), (None,), True, "rescuing", "rescue", "rescue_instance",
                   "rescue"),
    "unrescue": Rule(("rescued",), (None,), True, "unrescuing", "unrescue", "unrescue_instance", "unrescue"),
    "createImage": Rule(("active", "stopped", "paused", "suspended"), (None,), False,
                        "image_snapshot_pending", "createImage", "snapshot_instance", "createImage"),
    "rebuild": Rule(("active", "stopped", "error"), (None,), True, "rebuilding", "rebuild",
                    "rebuild_instance", "rebuild"),
    "reboot:SOFT": Rule(("active",), (None,), True, "rebooting", "reboot", "reboot_instance", "reboot"),
    "reboot:HARD": Rule(("active", "stopped", "paused", "suspended", "error"), ALLOW_REBOOT, True,
                        "rebooting_hard", "reboot", "reboot_instance", "reboot"),
    "delete": Rule(None, None, True, "deleting", "delete", "terminate_instance", "delete"),
}


def refusal(rule: Rule, instance: dict) -> str | None:
    """Nova's 409 text for ``instance`` under ``rule``, or None when the action is allowed."""
    if rule.lock_checked and instance.get("locked"):
        return f"Instance {instance['uuid']} is locked"
    if rule.vm_states is not None and instance.get("vm_state") not in rule.vm_states:
        return (f"Cannot '{rule.word}' instance {instance['uuid']} while it is in vm_state "
                f"{instance.get('vm_state')}")
    if rule.task_states is not None and instance.get("task_state") not in rule.task_states:
        return (f"Cannot '{rule.word}' instance {instance['uuid']} while it is in task_state "
                f"{instance.get('task_state')}")
    return None
