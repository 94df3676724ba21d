"""nova-conductor for mini-Nova: the only database writer for compute, and the boot/rebuild tasks.

Endpoints of topic ``conductor``: the compute-side database updates (``instance_update`` with
``expected_task_state``, instance action events, compute node usage, images) and Nova's
``ComputeTaskManager`` tasks: ``build_instances`` (2016) / ``schedule_and_build_instances``
(current) call the scheduler, then cast ``build_and_run_instance`` to ``compute.<host>``;
``rebuild_instance`` casts ``rebuild_instance`` to the instance's host.
"""

from __future__ import annotations

from datetime import datetime

from analyzer.replay.conductor.db import ExpectedStateError, now

__all__ = ["ConductorManager", "jsonable"]

_LOG = "nova.conductor.manager"


def jsonable(row: dict) -> dict:
    """A database row as RPC can carry it (datetimes as ISO text)."""
    return {key: value.isoformat() if isinstance(value, datetime) else value for key, value in row.items()}


class ConductorManager:
    """The endpoints of topic ``conductor``."""

    def __init__(self, db, scheduler, compute, log, style: str) -> None:
        self.db = db
        self.scheduler = scheduler
        self.compute = compute
        self.log = log
        self.style = style

    # -- database --------------------------------------------------------------------------------
    def instance_update(self, context, instance_uuid, updates, expected_task_state=..., event=None,
                        event_result=None):
        values = dict(updates)
        if values.get("launched_at") is True:
            values["launched_at"] = now()
        try:
            row = self.db.update_instance(instance_uuid, values, expected_task_state=expected_task_state)
        except ExpectedStateError:
            row = self.db.get_instance(instance_uuid, read_deleted=True) or {}
            self.log.info(_LOG, f"Task possibly preempted: expected {expected_task_state}, found "
                          f"{row.get('task_state')}", context, instance_uuid)
            raise
        finally:
            if event:
                self.db.action_event(instance_uuid, context.request_id, event, event_result, finish=True)
        return jsonable(row)

    def ping(self, context, arg):
        """nova-compute's ``wait_until_ready`` (Nova's ``BaseAPI.ping``): answers ``{'service': …}``."""
        return {"service": "conductor", "arg": arg}

    def instance_get_all_by_host(self, context, host):
        return [jsonable(row) for row in self.db.list_instances(host=host)]

    def action_event_start(self, context, instance_uuid, event):
        self.db.action_event(instance_uuid, context.request_id, event)

    def compute_node_get(self, context, host):
        return next((node for node in self.db.list_nodes() if node["host"] == host), None)

    def compute_node_add_usage(self, context, host, memory_mb, vcpus, local_gb):
        self.db.add_usage(host, memory_mb, vcpus, local_gb)

    def image_update(self, context, image_id, values):
        self.db.update_image(image_id, values)

    # -- compute tasks ---------------------------------------------------------------------------
    def _build(self, context, instance, image):
        hosts = self.scheduler.select_destinations(context, instance)
        if not hosts:
            reason = "No valid host was found. There are not enough hosts available."
            self.log.warning("nova.scheduler.utils", f"Failed to compute_task_build_instances: {reason}",
                             context, instance["uuid"])
            self.log.warning("nova.scheduler.utils", "Setting instance to ERROR state.", context,
                             instance["uuid"])
            self.db.update_instance(instance["uuid"], {"vm_state": "error", "task_state": None})
            self.db.action_event(instance["uuid"], context.request_id,
                                 "conductor_schedule_and_build_instances", "Error", finish=True)
            return
        host = hosts[0]
        row = self.db.update_instance(instance["uuid"], {"host": host["host"], "node": host["nodename"]})
        self.compute.build_and_run_instance(context, jsonable(row), image, host["host"],
                                            node=host["nodename"], limits=host["limits"])

    def build_instances(self, context, instance, image):
        self._build(context, instance, image)

    def schedule_and_build_instances(self, context, instance, image):
        self._build(context, instance, image)

    def rebuild_instance(self, context, instance, image, orig_image_ref):
        if self.style == "2016":
            self.log.debug(_LOG, "No migration record for the rebuild/evacuate request.", context,
                           instance["uuid"], func="rebuild_instance")
        self.compute.rebuild_instance(context, instance, image, orig_image_ref)
