"""nova-compute for mini-Nova: the RPC endpoints, Nova's task_state sequences, the driver calls.

Each endpoint is the method of Nova's ``ComputeManager`` with the same name and does what
reference section 3 says, in its order: the same task_state saves (through the conductor,
the only database writer, with ``expected_task_state``), the same compute-manager log lines,
and the driver call in between.  Operations on one instance are serialised by a lock on its
uuid, as Nova does with ``utils.synchronized(instance.uuid)``.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections import defaultdict

from analyzer.replay.drivers.base import POWER

__all__ = ["ComputeManager"]

_LOG = "nova.compute.manager"
_CLAIMS = "nova.compute.claims"


class ComputeManager:
    """The endpoints of ``compute.<host>``."""

    def __init__(self, host: str, driver_factory, conductor, log, style: str, resources: dict,
                 timing=None) -> None:
        self.host = host
        self.log = log
        self.style = style
        self.conductor = conductor
        self.resources = resources
        self.timing = timing
        self.driver = driver_factory(self.handle_lifecycle_event)
        self._locks: dict[str, threading.Lock] = defaultdict(threading.Lock)
        self._locks_guard = threading.Lock()

    # -- plumbing ------------------------------------------------------------------------------
    def _lock(self, uuid: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks[uuid]

    def _save(self, context, instance: dict, expected=..., event: str | None = None,
              event_result: str | None = None, **values) -> dict:
        kwargs: dict[str, object] = {"instance_uuid": instance["uuid"], "updates": values}
        if expected is not ...:
            kwargs["expected_task_state"] = expected
        if event:
            kwargs["event"] = event
            kwargs["event_result"] = event_result
        updated = self.conductor.call(context, "instance_update", **kwargs)
        instance.update(updated)
        return instance

    def _event_start(self, context, instance: dict, event: str) -> None:
        self.conductor.call(context, "action_event_start", instance_uuid=instance["uuid"], event=event)

    def _step(self, kind: str) -> float:
        """Realistic durations (``--timing realistic``) wait here; the fast default does not."""
        return self.timing.wait(kind, 0.0) if self.timing is not None else 0.0

    def _took(self, context, instance: dict, started: float, what: str) -> None:
        self.log.info(_LOG, f"Took {time.monotonic() - started:0.2f} seconds to {what}.", context,
                      instance["uuid"])

    def _fail(self, context, instance: dict, error: Exception, task_state: str | None,
              vm_error: bool = False) -> None:
        for line in ["Setting instance vm_state to ERROR" if vm_error else
                     f"Unexpected error during {task_state}: {error}",
                     *traceback.format_exception(error)]:
            self.log.log(40, _LOG, line.rstrip(), context, instance["uuid"])
        values: dict[str, object] = {"task_state": None}
        if vm_error:
            values["vm_state"] = "error"
        else:
            self.log.info(_LOG, f"Successfully reverted task state from {task_state} on failure for "
                          "instance.", context, instance["uuid"])
        self._save(context, instance, event=f"compute_{task_state}", event_result="Error", **values)

    def handle_lifecycle_event(self, uuid: str, name: str) -> None:
        """A libvirt domain event, as Nova's manager logs it (no request context)."""
        self.log.info(_LOG, f"VM {name} (Lifecycle Event)", None, uuid)

    # -- start-up ------------------------------------------------------------------------------
    def init_host(self, context) -> None:
        """Nova's ``init_host``: take over this host's instances after a (re)start.

        A compute killed mid-operation left its instances in a task_state; each is treated as
        Nova's ``ComputeManager._init_instance`` treats it (see ``_init_instance``).
        """
        for instance in self.conductor.call(context, "instance_get_all_by_host", host=self.host):
            try:
                self._init_instance(context, instance)
            except Exception as error:  # noqa: BLE001 -- one instance must not stop the service
                self.log.log(40, _LOG, f"Failed to initialize instance: {error}", context, instance["uuid"])

    def _init_instance(self, context, instance: dict) -> None:
        """One instance at start-up, in the order of Nova's ``_init_instance``.

        Interrupted builds go to ERROR; interrupted snapshots lose their task state; an
        interrupted delete, stop or start is done again, an interrupted reboot too (as HARD when
        the guest is not running); a pause, unpause or reboot cut short on a running guest has
        its task state cleared.  Any other task state (suspending, rescuing, rebuilding, …) is
        left as it is, as Nova leaves it, for an operator's ``reset-state``.
        """
        uuid, task_state, vm_state = instance["uuid"], instance.get("task_state"), instance.get("vm_state")
        if vm_state == "error" and task_state != "deleting":
            return
        if vm_state == "building" or task_state in ("scheduling", "block_device_mapping", "networking",
                                                    "spawning"):
            self.log.debug(_LOG, "Instance failed to spawn correctly, setting to ERROR state", context, uuid,
                           func="_init_instance")
            self._save(context, instance, task_state=None, vm_state="error")
            return
        if task_state in ("image_snapshot_pending", "image_pending_upload", "image_uploading",
                          "image_snapshot"):
            self.log.debug(_LOG, f"Instance in transitional state {task_state} at start-up clearing task "
                           "state", context, uuid, func="_init_instance")
            self._save(context, instance, task_state=None)
            return
        if task_state == "deleting":
            self.log.info(_LOG, "Service started deleting the instance during the previous run, but did "
                          "not finish. Restarting the deletion now.", context, uuid)
            self.terminate_instance(context, instance)
            return
        power = self.driver.get_power_state(uuid)
        reboot_type = "HARD" if power != POWER["running"] or task_state not in (
            "reboot_started", "reboot_pending", "rebooting") else "SOFT"
        retry_reboot = (task_state in ("reboot_pending", "reboot_pending_hard")
                        or (task_state in ("reboot_started", "reboot_started_hard")
                            and power != POWER["running"]))
        if retry_reboot:
            self.log.debug(_LOG, f"Instance in transitional state ({task_state}) at start-up and power state "
                           f"is ({power}), triggering reboot", context, uuid, func="_init_instance")
            if reboot_type == "HARD" and not task_state.endswith("_hard"):
                self._save(context, instance, task_state="reboot_pending_hard")
            self.reboot_instance(context, instance, reboot_type=reboot_type)
            return
        if power == POWER["running"] and task_state in ("reboot_started", "reboot_started_hard", "pausing",
                                                        "unpausing"):
            self.log.warning(_LOG, f"Instance in transitional state ({task_state}) at start-up and power "
                             f"state is ({power}), clearing task state", context, uuid)
            self._save(context, instance, task_state=None, vm_state="active")
            return
        if power == POWER["paused"] and task_state == "unpausing":
            self.log.warning(_LOG, f"Instance in transitional state ({task_state}) at start-up and power "
                             f"state is ({power}), clearing task state and unpausing the instance",
                             context, uuid)
            self.unpause_instance(context, instance)
            return
        retried = {"powering-off": ("stop", self.stop_instance),
                   "powering-on": ("start", self.start_instance)}
        if task_state in retried:
            name, method = retried[task_state]
            self.log.debug(_LOG, f"Instance in transitional state {task_state} at start-up retrying {name} "
                           "request", context, uuid, func="_init_instance")
            method(context, instance)

    # -- boot and delete -----------------------------------------------------------------------
    def build_and_run_instance(self, context, instance, image, limits=None, node=None):
        with self._lock(instance["uuid"]):
            try:
                self._build(context, instance, image)
            except Exception as error:  # noqa: BLE001 -- Nova sets the instance to error
                self._fail(context, instance, error, "spawning", vm_error=True)

    def _build(self, context, instance: dict, image: dict) -> None:
        uuid = instance["uuid"]
        started = time.monotonic()
        self._event_start(context, instance, "compute__do_build_and_run_instance")
        self.log.debug(_LOG, "Starting instance...", context, uuid, func="_do_build_and_run_instance")
        self._save(context, instance, expected=["scheduling", None], vm_state="building", task_state=None)
        self._claim(context, instance)
        self.log.debug(_LOG, "Start building networks asynchronously for instance.", context, uuid,
                       func="_build_resources")
        self._save(context, instance, task_state="networking")
        self.log.debug(_LOG, "Allocating IP information in the background.", context, uuid,
                       func="_allocate_network_async")
        self._step("network")
        self.log.debug(_LOG, "Start building block device mappings for instance.", context, uuid,
                       func="_build_resources")
        self._save(context, instance, task_state="block_device_mapping")
        self._save(context, instance, expected="block_device_mapping", task_state="spawning")
        self.log.debug(_LOG, "Start spawning the instance on the hypervisor.", context, uuid,
                       func="_build_and_run_instance")
        spawn_started = time.monotonic()
        self._step("spawn")
        self.driver.spawn(context, instance, image)
        self._took(context, instance, spawn_started, "spawn the instance on the hypervisor")
        self._save(context, instance, expected="spawning", event="compute__do_build_and_run_instance",
                   event_result="Success", vm_state="active", task_state=None,
                   power_state=self.driver.get_power_state(uuid), launched_at=True)
        self._took(context, instance, started, "build instance")

    def _claim(self, context, instance: dict) -> None:
        uuid = instance["uuid"]
        memory, disk, vcpus = instance["memory_mb"], instance["root_gb"], instance["vcpus"]
        if self.style == "2016":
            node = self.conductor.call(context, "compute_node_get", host=self.host)
            self.log.info(_CLAIMS, f"Attempting claim: memory {memory} MB, disk {disk} GB, vcpus {vcpus} CPU",
                          context, uuid)
            for kind, unit, total, used in (
                    ("memory", "MB", node["memory_mb"], node["memory_mb_used"]),
                    ("disk", "GB", node["local_gb"], node["local_gb_used"]),
                    ("vcpu", "VCPU", node["vcpus"], node["vcpus_used"])):
                self.log.info(_CLAIMS, f"Total {kind}: {total} {unit}, used: {used:.02f} {unit}",
                              context, uuid)
                if kind == "vcpu":
                    self.log.info(_CLAIMS, f"{kind} limit not specified, defaulting to unlimited",
                                  context, uuid)
                else:
                    limit = total * (1.5 if kind == "memory" else 1.0)
                    self.log.info(_CLAIMS, f"{kind} limit: {limit:.02f} {unit}, "
                                  f"free: {limit - used:.02f} {unit}", context, uuid)
            self.log.info(_CLAIMS, "Claim successful", context, uuid)
        else:
            self.log.info(_CLAIMS, f"Claim successful on node {self.host}", context, uuid)
        self.conductor.call(context, "compute_node_add_usage", host=self.host, memory_mb=memory,
                            vcpus=vcpus, local_gb=disk)

    def terminate_instance(self, context, instance, bdms=None):
        uuid = instance["uuid"]
        with self._lock(uuid):
            self._event_start(context, instance, "compute_terminate_instance")
            self.log.info(_LOG, "Terminating instance", context, uuid)
            started = time.monotonic()
            self.log.debug(_LOG, "Start destroying the instance on the hypervisor.", context, uuid,
                           func="_shutdown_instance")
            self.driver.destroy(context, instance)
            self._took(context, instance, started, "destroy the instance on the hypervisor")
            self.log.debug(_LOG, "Deallocating network for instance", context, uuid,
                           func="_deallocate_network")
            started = time.monotonic()
            self._step("network")
            self._took(context, instance, started, "deallocate network for instance")
            if instance.get("host") == self.host:
                self.conductor.call(context, "compute_node_add_usage", host=self.host,
                                    memory_mb=-instance["memory_mb"], vcpus=-instance["vcpus"],
                                    local_gb=-instance["root_gb"])
            self._save(context, instance, event="compute_terminate_instance", event_result="Success",
                       vm_state="deleted", task_state=None, power_state=POWER["pending"], deleted=True)

    # -- power ---------------------------------------------------------------------------------
    def _simple(self, context, instance: dict, method: str, task_state: str, body, done: dict) -> None:
        """One operation: event start, body (log lines and driver), the final save."""
        uuid = instance["uuid"]
        with self._lock(uuid):
            event = f"compute_{method}"
            try:
                self._event_start(context, instance, event)
                body()
                self._save(context, instance, expected=task_state, event=event, event_result="Success",
                           task_state=None, power_state=self.driver.get_power_state(uuid), **done)
            except Exception as error:  # noqa: BLE001 -- reverts_task_state
                self._fail(context, instance, error, task_state)

    def stop_instance(self, context, instance, clean_shutdown=True):
        uuid = instance["uuid"]

        def body() -> None:
            power = self.driver.get_power_state(uuid)
            self.log.debug(_LOG, f"Stopping instance; current vm_state: {instance['vm_state']}, current "
                           f"task_state: {instance['task_state']}, current DB power_state: "
                           f"{instance['power_state']}, current VM power_state: {power}", context, uuid,
                           func="do_stop_instance")
            if power != POWER["running"] and power != POWER["paused"]:
                self.log.info(_LOG, "Instance is already powered off in the hypervisor when stop is called.",
                              context, uuid)
            self.driver.power_off(context, instance)

        self._simple(context, instance, "stop_instance", "powering-off", body, {"vm_state": "stopped"})

    def start_instance(self, context, instance):
        self._simple(context, instance, "start_instance", "powering-on",
                     lambda: self.driver.power_on(context, instance), {"vm_state": "active"})

    def pause_instance(self, context, instance):
        def body() -> None:
            self.log.info(_LOG, "Pausing", context, instance["uuid"])
            self.driver.pause(context, instance)

        self._simple(context, instance, "pause_instance", "pausing", body, {"vm_state": "paused"})

    def unpause_instance(self, context, instance):
        def body() -> None:
            self.log.info(_LOG, "Unpausing", context, instance["uuid"])
            self.driver.unpause(context, instance)

        self._simple(context, instance, "unpause_instance", "unpausing", body, {"vm_state": "active"})

    def suspend_instance(self, context, instance):
        # Nova logs no line of its own for suspend (reference 3.6).
        self._simple(context, instance, "suspend_instance", "suspending",
                     lambda: self.driver.suspend(context, instance),
                     {"vm_state": "suspended", "old_vm_state": instance.get("vm_state") or "active"})

    def resume_instance(self, context, instance):
        def body() -> None:
            self.log.info(_LOG, "Resuming", context, instance["uuid"])
            self.driver.resume(context, instance)

        self._simple(context, instance, "resume_instance", "resuming", body,
                     {"vm_state": instance.get("old_vm_state") or "active", "old_vm_state": None})

    def reboot_instance(self, context, instance, reboot_type="SOFT", block_device_info=None):
        uuid = instance["uuid"]
        hard = reboot_type == "HARD"
        suffix = "_hard" if hard else ""
        back_to = "rescued" if instance.get("vm_state") == "rescued" else "active"

        def body() -> None:
            # Nova accepts every reboot task state here: init_host may retry a reboot cut short.
            self._save(context, instance, expected=[f"rebooting{suffix}", f"reboot_pending{suffix}",
                                                    f"reboot_started{suffix}"],
                       task_state=f"reboot_pending{suffix}")
            self.log.info(_LOG, "Rebooting instance", context, uuid)
            power = self.driver.get_power_state(uuid)
            if power != POWER["running"]:
                self.log.warning(_LOG, f"trying to reboot a non-running instance: (state: {power} "
                                 f"expected: {POWER['running']})", context, uuid)
            self._save(context, instance, expected=f"reboot_pending{suffix}",
                       task_state=f"reboot_started{suffix}")
            self.driver.reboot(context, instance, reboot_type)

        # the final save expects reboot_started(_hard)
        self._simple(context, instance, "reboot_instance", f"reboot_started{suffix}", body,
                     {"vm_state": back_to})

    # -- rescue --------------------------------------------------------------------------------
    def rescue_instance(self, context, instance, rescue_password=None, rescue_image=None,
                        clean_shutdown=True):
        def body() -> None:
            self.log.info(_LOG, "Rescuing", context, instance["uuid"])
            self.driver.power_off(context, instance)
            self.driver.rescue(context, instance, rescue_image or {"id": instance["image_ref"]})

        self._simple(context, instance, "rescue_instance", "rescuing", body, {"vm_state": "rescued"})

    def unrescue_instance(self, context, instance):
        def body() -> None:
            self.log.info(_LOG, "Unrescuing", context, instance["uuid"])
            self.driver.unrescue(context, instance)

        self._simple(context, instance, "unrescue_instance", "unrescuing", body, {"vm_state": "active"})

    # -- snapshot and rebuild ------------------------------------------------------------------
    def snapshot_instance(self, context, image_id, instance):
        uuid = instance["uuid"]
        started = time.monotonic()

        def update_task_state(task_state: str, expected_state: str) -> None:
            self._save(context, instance, expected=expected_state, task_state=task_state)

        def body() -> None:
            self._save(context, instance, expected="image_snapshot_pending", task_state="image_snapshot")
            self.log.info(_LOG, "instance snapshotting", context, uuid)
            power = self.driver.get_power_state(uuid)
            if power != POWER["running"]:
                self.log.warning(_LOG, f"trying to snapshot a non-running instance: (state: {power} "
                                 f"expected: {POWER['running']})", context, uuid)
            self.conductor.call(context, "image_update", image_id=image_id, values={"status": "saving"})
            size = self.driver.snapshot(context, instance, image_id, update_task_state)
            self.conductor.call(context, "image_update", image_id=image_id,
                                values={"status": "active", "size": size})
            if self.style != "2016":
                self._took(context, instance, started, "snapshot the instance on the hypervisor")

        self._simple(context, instance, "snapshot_instance", "image_uploading", body, {})

    def rebuild_instance(self, context, instance, image, orig_image_ref=None):
        uuid = instance["uuid"]
        original = instance.get("vm_state")

        def body() -> None:
            self.log.info(_LOG, "Rebuilding instance", context, uuid)
            self._save(context, instance, expected="rebuilding", task_state="rebuilding",
                       power_state=self.driver.get_power_state(uuid))
            self.driver.power_off(context, instance)
            self.driver.destroy(context, instance)
            self._save(context, instance, expected="rebuilding", task_state="rebuild_block_device_mapping")
            self._save(context, instance, expected="rebuild_block_device_mapping",
                       task_state="rebuild_spawning")
            self.driver.spawn(context, instance, image, wait_for_vifs=False)
            if original == "stopped":
                self._save(context, instance, expected="rebuild_spawning", vm_state="active",
                           task_state="rebuild_spawning", power_state=self.driver.get_power_state(uuid),
                           launched_at=True)
                self.log.info(_LOG, "bringing vm to original state: 'stopped'", context, uuid)
                self.driver.power_off(context, instance)

        self._simple(context, instance, "rebuild_instance", "rebuild_spawning", body,
                     {"vm_state": "stopped" if original == "stopped" else "active", "launched_at": True})
