"""Synthetic Nova logs in the layout of the 2016 devstack gate, built from line specs.

A `Line` is one log line: a time (seconds after `BASE_TIME`), the service whose screen log
it goes to (api, cpu, cond, sch), level, logger, request id (None: the `[-]` context), the
instance (None: no `[instance: …]` prefix) and the message.  `write_logs` renders lines in
oslo.log's 13-era layout, time-sorted per file, exactly as ../shared/real_logs/
devstack_gate_2016 has them:

    2016-06-28 13:57:19.160 30596 INFO nova.compute.manager [req-… user project] [instance: …] Rebuilding …

(DEBUG lines end with ` funcName /path/file.py:123`; traceback lines carry the exception
prefix `… ERROR <logger> [instance: …] ` and no context block.)

One function per flow of grammars/flows builds an `Op`: the lines one conforming run of that
operation logs, API (the DEBUG `Action:` line and the access line) and compute side sharing a
request id, with the DEBUG lines (qemu-img via processutils, RPC casts) the flows' `debug`
steps need.  Each line is tagged with the flow step it shows (extra lines get other tags), so
a test can drop, move, insert or delay single lines:

    ops = chain(instance(1), ["boot", "snapshot_cold"])
    ops[-1] = ops[-1].without("convert")
    logs = write_logs(tmp_path / "logs", ops)

`chain` runs operations on one instance one after the other (a boot first: the lifecycle
engine admits an operation from the state the previous one left).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

BASE_TIME = datetime(2016, 6, 28, 14, 0, 0, tzinfo=UTC)
USER = "tempest-ServerActionsTestJSON-2016598413"  # user and project of the 2016 gate's context

FILES = {"api": "screen-n-api.txt", "cpu": "screen-n-cpu.txt", "cond": "screen-n-cond.txt",
         "sch": "screen-n-sch.txt"}
PIDS = {"api": 29140, "cpu": 30596, "cond": 30650, "sch": 29954}

NOVA = "/opt/stack/new/nova/nova"
PACKAGES = "/usr/local/lib/python2.7/dist-packages"
INSTANCES = "/opt/stack/data/nova/instances"
BASE_IMAGE = f"{INSTANCES}/_base/14c6d82627a544915329957cc5264b5a122c7c3f"
IMAGE_ID = "b03c5892-c74e-4f66-8138-dc858b197ab7"
PRLIMIT = "/usr/bin/python -m oslo_concurrency.prlimit --as=1073741824 --cpu=2 -- env LC_ALL=C LANG=C"
HOST = "d-p-c-local-01-19"

_NAMESPACE = uuid.UUID("6f1c2d1e-2016-4628-9a77-000000000000")

# DEBUG suffixes (funcName path:lineno) of the lines the builders write.
_AMQP = f"_send {PACKAGES}/oslo_messaging/_drivers/amqpdriver.py:448"
_RUN = f"execute {PACKAGES}/oslo_concurrency/processutils.py:344"
_RETURNED = f"execute {PACKAGES}/oslo_concurrency/processutils.py:374"
_WSGI_ACTION = f"_process_stack {NOVA}/api/openstack/wsgi.py:633"
_WSGI_CALL = f"_process_stack {NOVA}/api/openstack/wsgi.py:636"
_FETCH = f"get {NOVA}/compute/api.py:1958"

# Controllers of the 2016 API (Newton development), per action: (module, class, method).
_CONTROLLERS = {
    "create": ("servers", "ServersController", "create"),
    "os-stop": ("servers", "ServersController", "_stop_server"),
    "os-start": ("servers", "ServersController", "_start_server"),
    "pause": ("pause_server", "PauseServerController", "_pause"),
    "unpause": ("pause_server", "PauseServerController", "_unpause"),
    "suspend": ("suspend_server", "SuspendServerController", "_suspend"),
    "resume": ("suspend_server", "SuspendServerController", "_resume"),
    "rescue": ("rescue", "RescueController", "_rescue"),
    "unrescue": ("rescue", "RescueController", "_unrescue"),
    "createImage": ("servers", "ServersController", "_action_create_image"),
    "rebuild": ("servers", "ServersController", "_action_rebuild"),
    "lock": ("lock_server", "LockServerController", "_lock"),
    "unlock": ("lock_server", "LockServerController", "_unlock"),
    "reboot": ("servers", "ServersController", "_action_reboot"),
    "shelve": ("shelve", "ShelveController", "_shelve"),
    "unshelve": ("shelve", "ShelveController", "_unshelve"),
    "resize": ("servers", "ServersController", "_action_resize"),
    "confirmResize": ("servers", "ServersController", "_action_confirm_resize"),
    "revertResize": ("servers", "ServersController", "_action_revert_resize"),
    "os-migrateLive": ("migrate_server", "MigrateServerController", "_migrate_live"),
}
_OBJECT_ADDRESS = {"servers": "0x7f68cf6d6c10", "pause_server": "0x7f68cf3a1c50",
                   "suspend_server": "0x7f68cf3a8e90", "rescue": "0x7f68cf3dc810",
                   "lock_server": "0x7f68cf3b5a10", "shelve": "0x7f68cf3c2f50",
                   "migrate_server": "0x7f68cf3bd0d0"}


def instance(number: int) -> str:
    """A fixed instance UUID per number (the same in every run)."""
    return str(uuid.uuid5(_NAMESPACE, f"instance-{number}"))


def request_id(*parts: object) -> str:
    """A fixed `req-<uuid>` for what `parts` name."""
    return "req-" + str(uuid.uuid5(_NAMESPACE, "/".join(str(p) for p in parts)))


def _hex(*parts: object) -> str:
    return uuid.uuid5(_NAMESPACE, "hex/" + "/".join(str(p) for p in parts)).hex


# ----------------------------------------------------------------------------- lines


@dataclass(frozen=True)
class Line:
    """One log line.  `tag` names the flow step it shows (or what else it is)."""

    t: float  # seconds after BASE_TIME
    service: str  # api, cpu, cond, sch
    level: str
    logger: str
    request_id: str | None  # None: the `[-]` context
    instance: str | None  # None: no `[instance: …] ` prefix
    message: str
    tag: str | None = None
    func: str | None = None  # DEBUG suffix: "funcName /path/file.py:123"
    host: str | None = None  # None: the main directory; else a subdirectory named like the host
    bare: bool = False  # a traceback line: exception prefix, no context block

    def at(self, t: float) -> Line:
        return replace(self, t=t)

    def later(self, seconds: float) -> Line:
        return replace(self, t=self.t + seconds)

    @property
    def file(self) -> str:
        name = FILES[self.service]
        return f"{self.host}/{name}" if self.host else name

    def render(self) -> str:
        moment = BASE_TIME + timedelta(milliseconds=round(self.t * 1000))
        stamp = moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        head = f"{stamp} {PIDS[self.service]} {self.level} {self.logger}"
        if not self.bare:
            head += f" [{self.request_id} {USER} {USER}]" if self.request_id else " [-]"
        prefix = f"[instance: {self.instance}] " if self.instance else ""
        suffix = f" {self.func}" if self.level == "DEBUG" and self.func else ""
        return f"{head} {prefix}{self.message}{suffix}"


@dataclass
class Op:
    """One operation's lines; the methods return changed copies."""

    name: str
    instance: str
    request_id: str | None
    lines: list[Line] = field(default_factory=list)

    @property
    def start(self) -> float:
        return min(line.t for line in self.lines)

    @property
    def end(self) -> float:
        return max(line.t for line in self.lines)

    def tagged(self, tag: str) -> list[Line]:
        return [line for line in self.lines if line.tag == tag]

    def line(self, tag: str) -> Line:
        """The first line (in time) tagged `tag`."""
        found = sorted(self.tagged(tag), key=lambda line: line.t)
        if not found:
            raise KeyError(f"{self.name} has no line tagged {tag!r}; tags: {self.tags()}")
        return found[0]

    def tags(self) -> list[str | None]:
        return [line.tag for line in sorted(self.lines, key=lambda line: line.t)]

    def _copy(self, lines: list[Line]) -> Op:
        return replace(self, lines=lines)

    def without(self, *tags: str) -> Op:
        """Drop every line tagged one of `tags`."""
        for tag in tags:
            self.line(tag)  # each must exist: a typo would make a test pass for nothing
        return self._copy([line for line in self.lines if line.tag not in tags])

    def moved(self, tag: str, *, to: float | None = None, by: float | None = None) -> Op:
        """Lines tagged `tag` at time `to` (absolute), or `by` seconds later (or earlier)."""
        self.line(tag)
        lines = []
        for line in self.lines:
            if line.tag == tag:
                line = line.at(to) if to is not None else line.later(by or 0.0)
            lines.append(line)
        return self._copy(lines)

    def delayed(self, seconds: float, after: str | None = None) -> Op:
        """Every line (or every line from the first tagged `after` on) `seconds` later."""
        edge = self.line(after).t if after is not None else float("-inf")
        return self._copy([line.later(seconds) if line.t >= edge else line for line in self.lines])

    def with_lines(self, *lines: Line) -> Op:
        return self._copy(self.lines + list(lines))

    def until(self, tag: str) -> Op:
        """The lines up to and including the first one tagged `tag` (an unfinished run)."""
        edge = self.line(tag).t
        return self._copy([line for line in self.lines if line.t <= edge])

    def line_like(self, tag: str, message: str, new_tag: str = "inserted", **changes: object) -> Line:
        """A new line with the context (service, logger, ids, time) of the line tagged `tag`."""
        return replace(self.line(tag), message=message, tag=new_tag, **changes)  # type: ignore[arg-type]


class _Seq:
    """Collects one operation's lines: times relative to its start, shared context."""

    def __init__(self, name: str, uuid_: str, at: float, rid: str | None, host: str | None = None):
        self.op = Op(name, uuid_, rid)
        self.at = at
        self.host = host

    def add(self, dt: float, service: str, level: str, logger: str, message: str, *,
            tag: str | None = None, func: str | None = None, context: bool = True,
            prefixed: bool = True, host: str | None = None, bare: bool = False) -> Line:
        if level == "DEBUG" and func is None:
            raise ValueError(f"DEBUG line without its funcName/path suffix: {message}")
        line = Line(round(self.at + dt, 3), service, level, logger,
                    self.op.request_id if context and not bare else None,
                    self.op.instance if prefixed else None, message, tag, func,
                    host if host is not None else (self.host if service == "cpu" else None), bare)
        self.op.lines.append(line)
        return line

    # -- nova-api
    def action(self, dt: float, action: str, body: object, route: str = "action",
               tag: str | None = "request", fetch: bool = True) -> None:
        module, cls, method = _CONTROLLERS[action]
        address = _OBJECT_ADDRESS[module]
        bound = (f"<bound method {cls}.{method} of <nova.api.openstack.compute.{module}.{cls} "
                 f"object at {address}>>")
        self.add(dt, "api", "DEBUG", "nova.api.openstack.wsgi",
                 f"Action: '{route}', calling method: {bound}, body: {json.dumps(body)}",
                 tag=tag, func=_WSGI_ACTION, prefixed=False)
        if fetch:  # the actions on an existing server look it up first
            self.add(dt + 0.001, "api", "DEBUG", "nova.compute.api", "Fetching instance by UUID",
                     tag="fetch", func=_FETCH)

    def access(self, dt: float, method: str, path: str, status: int, length: int = 0,
               tag: str | None = "response") -> None:
        self.add(dt, "api", "INFO", "nova.osapi_compute.wsgi.server",
                 f'127.0.0.1 "{method} {path} HTTP/1.1" status: {status} len: {length} '
                 f"time: {dt + 0.0213457:.7f}", tag=tag, prefixed=False)

    def action_access(self, dt: float, status: int = 202, length: int = 0) -> None:
        self.access(dt, "POST", f"/v2.1/servers/{self.op.instance}/action", status, length)

    def rpc(self, dt: float, service: str, kind: str, topic: str, tag: str | None = None) -> None:
        key = "msg_id" if kind == "CALL" else "unique_id"
        self.add(dt, service, "DEBUG", "oslo_messaging._drivers.amqpdriver",
                 f"{kind} {key}: {_hex(self.op.name, self.op.instance, self.at, dt, topic)} "
                 f"exchange 'nova' topic '{topic}'", tag=tag or f"rpc_{topic}", func=_AMQP,
                 prefixed=False)

    # -- nova-compute
    def cpu(self, dt: float, level: str, logger: str, message: str, tag: str | None, *,
            func: str | None = None, context: bool = True) -> None:
        self.add(dt, "cpu", level, logger, message, tag=tag, func=func, context=context)

    def manager(self, dt: float, message: str, tag: str | None, level: str = "INFO",
                func: str | None = None) -> None:
        self.cpu(dt, level, "nova.compute.manager", message, tag, func=func)

    def driver(self, dt: float, message: str, tag: str | None, level: str = "INFO",
               func: str | None = None, context: bool = True) -> None:
        self.cpu(dt, level, "nova.virt.libvirt.driver", message, tag, func=func, context=context)

    def lifecycle(self, dt: float, state: str, tag: str | None) -> None:
        """`VM <state> (Lifecycle Event)`: logged outside any request (`[-]`)."""
        self.cpu(dt, "INFO", "nova.compute.manager", f"VM {state} (Lifecycle Event)", tag, context=False)

    def destroyed(self, dt: float, tag: str = "destroyed") -> None:
        """`Instance destroyed successfully.`: logged by a looping call, outside the request."""
        self.driver(dt, "Instance destroyed successfully.", tag, context=False)

    def command(self, dt: float, cmd: str, tag: str, seconds: float = 0.045, code: int = 0,
                returned_tag: str | None = None) -> None:
        """processutils' `Running cmd (subprocess): …` and `CMD "…" returned: …` (DEBUG)."""
        self.add(dt, "cpu", "DEBUG", "oslo_concurrency.processutils", f"Running cmd (subprocess): {cmd}",
                 tag=tag, func=_RUN, prefixed=False)
        self.add(dt + seconds, "cpu", "DEBUG", "oslo_concurrency.processutils",
                 f'CMD "{cmd}" returned: {code} in {seconds:.3f}s', tag=returned_tag or f"{tag}_returned",
                 func=_RETURNED, prefixed=False)

    def clean_shutdown(self, dt: float, waited: int = 3) -> float:
        """libvirt's _clean_shutdown then _destroy; returns the time of the destroyed line."""
        self.driver(dt, "Shutting down instance from state 1", "shutting_down", level="DEBUG",
                    func=f"_clean_shutdown {NOVA}/virt/libvirt/driver.py:2379")
        done = dt + waited + 0.05
        self.driver(done, f"Instance shutdown successfully after {waited} seconds.", "shut_down")
        self.destroyed(done + 0.015)
        return done + 0.015

    def delete_files(self, dt: float, suffix: str = "_del") -> None:
        path = f"{INSTANCES}/{self.op.instance}"
        self.command(dt, f"mv {path} {path}{suffix}", "files_move", seconds=0.008)
        self.driver(dt + 0.011, f"Deleting instance files {path}{suffix}", "files_deleting")
        self.driver(dt + 0.016, f"Deletion of {path}{suffix} complete", "files_deleted")

    def image_info(self, dt: float, path: str = BASE_IMAGE, tag: str = "image_info") -> None:
        self.command(dt, f"{PRLIMIT} qemu-img info {path}", tag)

    def cow_disk(self, dt: float, name: str = "disk", tag: str = "disk") -> None:
        self.command(dt, f"qemu-img create -f qcow2 -o backing_file={BASE_IMAGE} "
                     f"{INSTANCES}/{self.op.instance}/{name}", tag, seconds=0.034)


def _rid(name: str, uuid_: str, at: float, given: str | None) -> str:
    return given if given is not None else request_id(name, uuid_, at)


# ----------------------------------------------------------------------------- operations


def boot(uuid_: str, at: float = 0.0, *, rid: str | None = None, spawn_s: float = 2.6,
         vif_pause: bool = False, host: str | None = None) -> Op:
    """POST /servers: API, conductor, scheduler, then the build on nova-compute (reference 3.1).

    `spawn_s`: seconds from `Creating image` to `Instance spawned successfully.`.
    `vif_pause`: the domain starts paused until Neutron's vif-plugged event, so libvirt
    reports VM Started, VM Paused, VM Resumed during the boot.
    """
    s = _Seq("boot", uuid_, at, _rid("boot", uuid_, at, rid), host)
    body = {"server": {"name": "tempest-server-1", "imageRef": IMAGE_ID, "flavorRef": "42",
                       "networks": [{"uuid": "a5100295-6d08-4f62-a8c8-0a3d3f1e7a0b"}]}}
    s.action(0.0, "create", body, route="create", fetch=False)
    s.add(0.19, "api", "DEBUG", "nova.compute.api", "Going to run 1 instances...", tag="going_to_run",
          func=f"_provision_instances {NOVA}/compute/api.py:915", prefixed=False)
    s.rpc(0.27, "api", "CAST", "conductor", tag="to_conductor")
    s.access(0.273, "POST", "/v2.1/servers", 202, 790)
    s.rpc(0.29, "cond", "CALL", "scheduler")
    s.add(0.30, "sch", "DEBUG", "nova.filters", "Starting with 1 host(s)", tag="filters",
          func=f"get_filtered_objects {NOVA}/filters.py:70", prefixed=False)
    s.add(0.305, "sch", "DEBUG", "nova.scheduler.filter_scheduler",
          f"Selected host: WeighedHost [host: ({HOST}, {HOST}) ram: 15536MB disk: 128000MB io_ops: 0 "
          "instances: 0, weight: 0.0]", tag="schedule",
          func=f"_schedule {NOVA}/scheduler/filter_scheduler.py:131", prefixed=False)
    s.rpc(0.33, "cond", "CAST", "compute")
    s.manager(0.45, "Starting instance...", "build_start", level="DEBUG",
              func=f"_do_build_and_run_instance {NOVA}/compute/manager.py:1717")
    s.cpu(0.54, "INFO", "nova.compute.claims", "Attempting claim: memory 64 MB, disk 0 GB, vcpus 1 CPU",
          "claim")
    s.cpu(0.541, "INFO", "nova.compute.claims", "Total memory: 7983 MB, used: 512.00 MB", "claim_total")
    s.cpu(0.542, "INFO", "nova.compute.claims", "memory limit: 11974.50 MB, free: 11462.50 MB",
          "claim_limit")
    s.cpu(0.55, "INFO", "nova.compute.claims", "Claim successful", "claimed")
    s.manager(0.68, "Start building networks asynchronously for instance.", "networking", level="DEBUG",
              func=f"_build_resources {NOVA}/compute/manager.py:1981")
    s.manager(0.83, "Start building block device mappings for instance.", "block_devices",
              level="DEBUG", func=f"_build_resources {NOVA}/compute/manager.py:2007")
    s.manager(1.07, "Start spawning the instance on the hypervisor.", "spawning", level="DEBUG",
              func=f"_build_and_run_instance {NOVA}/compute/manager.py:1879")
    s.driver(1.072, "Creating image", "creating_image")
    s.image_info(1.27)
    s.cow_disk(1.316)
    spawned = 1.072 + spawn_s
    if vif_pause:
        s.lifecycle(spawned - 1.0, "Started", "vm_started")
        s.lifecycle(spawned - 0.996, "Paused", "vm_paused")
        s.lifecycle(spawned - 0.1, "Resumed", "vm_resumed")
    else:
        s.lifecycle(spawned - 0.09, "Started", "vm_started")
    s.driver(spawned, "Instance spawned successfully.", "spawned", context=False)
    s.manager(spawned + 0.001, f"Took {spawned - 1.07:.2f} seconds to spawn the instance on the hypervisor.",
              "spawn_took")
    s.manager(spawned + 0.115, f"Took {spawned + 0.115 - 0.45:.2f} seconds to build instance.", "build_took")
    return s.op


def delete(uuid_: str, at: float = 0.0, *, rid: str | None = None, vm_stopped: bool = True,
           host: str | None = None) -> Op:
    """DELETE /servers/{id} (reference 3.4); `vm_stopped`: the delayed VM Stopped event 15 s later."""
    s = _Seq("delete", uuid_, at, _rid("delete", uuid_, at, rid), host)
    s.add(0.0, "api", "DEBUG", "nova.api.openstack.wsgi",
          "Calling method '<bound method ServersController.delete of "
          "<nova.api.openstack.compute.servers.ServersController object at 0x7f68cf6d6c10>>'",
          tag="call", func=_WSGI_CALL, prefixed=False)
    s.add(0.001, "api", "DEBUG", "nova.compute.api", "Fetching instance by UUID", tag="fetch", func=_FETCH)
    s.add(0.062, "api", "DEBUG", "nova.compute.api", "Going to try to terminate instance", tag="going_to",
          func=f"delete {NOVA}/compute/api.py:1858")
    s.rpc(0.161, "api", "CAST", "compute")
    s.access(0.165, "DELETE", f"/v2.1/servers/{uuid_}", 204, 334)
    s.manager(0.194, "Terminating instance", "terminating")
    s.manager(0.30, "Start destroying the instance on the hypervisor.", "destroying", level="DEBUG",
              func=f"_shutdown_instance {NOVA}/compute/manager.py:2227")
    s.destroyed(0.898)
    s.delete_files(2.752)
    s.manager(2.862, "Took 2.67 seconds to destroy the instance on the hypervisor.", "destroy_took")
    s.manager(2.863, "Deallocating network for instance", "network_release", level="DEBUG",
              func=f"_deallocate_network {NOVA}/compute/manager.py:1644")
    s.manager(3.515, "Took 0.65 seconds to deallocate network for instance.", "network_took")
    if vm_stopped:
        s.lifecycle(15.9, "Stopped", "vm_stopped")
    return s.op


def stop(uuid_: str, at: float = 0.0, *, rid: str | None = None, vm_stopped: bool = True,
         host: str | None = None) -> Op:
    """os-stop (reference 3.3): clean shutdown, destroy; VM Stopped arrives 15 s later."""
    s = _Seq("stop", uuid_, at, _rid("stop", uuid_, at, rid), host)
    s.action(0.0, "os-stop", {"os-stop": None})
    s.add(0.05, "api", "DEBUG", "nova.compute.api", "Going to try to stop instance", tag="going_to",
          func=f"force_stop {NOVA}/compute/api.py:2130")
    s.rpc(0.095, "api", "CAST", "compute")
    s.action_access(0.1)
    s.manager(0.13, "Stopping instance; current vm_state: active, current task_state: powering-off, "
              "current DB power_state: 1, current VM power_state: 1", "stopping", level="DEBUG",
              func=f"do_stop_instance {NOVA}/compute/manager.py:2570")
    destroyed = s.clean_shutdown(0.14)
    if vm_stopped:
        s.lifecycle(destroyed + 15.0, "Stopped", "vm_stopped")
    return s.op


def start(uuid_: str, at: float = 0.0, *, rid: str | None = None, host: str | None = None) -> Op:
    """os-start (reference 3.2): libvirt's power_on is a hard reboot (destroy, define, launch)."""
    s = _Seq("start", uuid_, at, _rid("start", uuid_, at, rid), host)
    s.action(0.0, "os-start", {"os-start": None})
    s.add(0.05, "api", "DEBUG", "nova.compute.api", "Going to try to start instance", tag="going_to",
          func=f"start {NOVA}/compute/api.py:2155")
    s.rpc(0.095, "api", "CAST", "compute")
    s.action_access(0.1)
    s.destroyed(0.35)
    s.lifecycle(1.62, "Started", "vm_started")
    s.driver(1.75, "Instance rebooted successfully.", "rebooted", context=False)
    return s.op


def pause(uuid_: str, at: float = 0.0, *, rid: str | None = None, host: str | None = None) -> Op:
    """pause (reference 3.5): `Pausing`, then libvirt's VM Paused."""
    s = _Seq("pause", uuid_, at, _rid("pause", uuid_, at, rid), host)
    s.action(0.0, "pause", {"pause": None})
    s.rpc(0.09, "api", "CAST", "compute")
    s.action_access(0.095)
    s.manager(0.12, "Pausing", "pausing")
    s.lifecycle(0.25, "Paused", "vm_paused")
    return s.op


def unpause(uuid_: str, at: float = 0.0, *, rid: str | None = None, host: str | None = None) -> Op:
    """unpause (reference 3.5): `Unpausing`, then VM Resumed."""
    s = _Seq("unpause", uuid_, at, _rid("unpause", uuid_, at, rid), host)
    s.action(0.0, "unpause", {"unpause": None})
    s.rpc(0.09, "api", "CAST", "compute")
    s.action_access(0.095)
    s.manager(0.12, "Unpausing", "unpausing")
    s.lifecycle(0.24, "Resumed", "vm_resumed")
    return s.op


def suspend(uuid_: str, at: float = 0.0, *, rid: str | None = None, host: str | None = None,
            stopped: bool = True) -> Op:
    """suspend (reference 3.6): no compute line; VM Paused, then VM Stopped 15 s later
    (`stopped=False`: never, as when the guest starts again within those 15 s)."""
    s = _Seq("suspend", uuid_, at, _rid("suspend", uuid_, at, rid), host)
    s.action(0.0, "suspend", {"suspend": None})
    s.rpc(0.09, "api", "CAST", "compute")
    s.action_access(0.095)
    s.lifecycle(0.9, "Paused", "vm_paused")
    if stopped:
        s.lifecycle(16.2, "Stopped", "vm_stopped")
    return s.op


def resume(uuid_: str, at: float = 0.0, *, rid: str | None = None, host: str | None = None) -> Op:
    """resume (reference 3.6): `Resuming`, the domain re-created: VM Started, VM Resumed."""
    s = _Seq("resume", uuid_, at, _rid("resume", uuid_, at, rid), host)
    s.action(0.0, "resume", {"resume": None})
    s.rpc(0.09, "api", "CAST", "compute")
    s.action_access(0.095)
    s.manager(0.12, "Resuming", "resuming")
    s.lifecycle(1.48, "Started", "vm_started")
    s.lifecycle(1.52, "Resumed", "vm_resumed")
    return s.op


def rescue(uuid_: str, at: float = 0.0, *, rid: str | None = None, host: str | None = None) -> Op:
    """rescue (reference 3.7): shut down, disk.rescue from the image, destroy, VM Started."""
    s = _Seq("rescue", uuid_, at, _rid("rescue", uuid_, at, rid), host)
    s.action(0.0, "rescue", {"rescue": {"adminPass": "***"}})
    s.rpc(0.115, "api", "CAST", "compute")
    s.access(0.117, "POST", f"/v2.1/servers/{uuid_}/action", 200, 359)
    s.manager(0.136, "Rescuing", "rescuing")
    s.clean_shutdown(0.296)
    s.driver(3.446, "Creating image", "creating_image")
    s.image_info(3.54)
    s.cow_disk(3.92, name="disk.rescue", tag="rescue_disk")
    s.destroyed(4.022, tag="destroyed_again")
    s.lifecycle(5.273, "Started", "vm_started")
    return s.op


def unrescue(uuid_: str, at: float = 0.0, *, rid: str | None = None, host: str | None = None) -> Op:
    """unrescue (reference 3.7): destroy the rescue domain, start the original one."""
    s = _Seq("unrescue", uuid_, at, _rid("unrescue", uuid_, at, rid), host)
    s.action(0.0, "unrescue", {"unrescue": None})
    s.rpc(0.09, "api", "CAST", "compute")
    s.action_access(0.095)
    s.manager(0.12, "Unrescuing", "unrescuing")
    s.destroyed(0.64)
    s.lifecycle(1.93, "Started", "vm_started")
    return s.op


def _snapshot_api(s: _Seq) -> None:
    s.action(0.0, "createImage", {"createImage": {"name": "tempest-snapshot-1", "metadata": {}}})
    s.rpc(0.16, "api", "CAST", "compute")
    s.action_access(0.165)


def snapshot_cold(uuid_: str, at: float = 0.0, *, rid: str | None = None, host: str | None = None) -> Op:
    """createImage, Mitaka's default cold snapshot (reference 3.8): managedSave (VM Paused),
    qemu-img convert -f qcow2 -O qcow2, the domain re-created (VM Started, VM Resumed), upload."""
    s = _Seq("snapshot_cold", uuid_, at, _rid("snapshot_cold", uuid_, at, rid), host)
    _snapshot_api(s)
    s.manager(0.19, "instance snapshotting", "snapshotting")
    s.lifecycle(0.42, "Paused", "vm_paused")
    s.driver(1.35, "Beginning cold snapshot process", "cold")
    out = f"{INSTANCES}/snapshots/tmpk3Xq9a/{_hex('snapshot', uuid_, at)}"
    s.command(1.4, f"qemu-img convert -f qcow2 -O qcow2 {INSTANCES}/{uuid_}/disk {out}", "convert",
              seconds=2.412, returned_tag="converted")
    s.lifecycle(4.05, "Started", "vm_started")
    s.lifecycle(4.09, "Resumed", "vm_resumed")
    s.driver(4.12, "Snapshot extracted, beginning image upload", "extracted")
    s.driver(6.85, "Snapshot image upload complete", "uploaded")
    return s.op


def snapshot_live(uuid_: str, at: float = 0.0, *, rid: str | None = None, host: str | None = None) -> Op:
    """createImage, live (reference 3.8 and 6): qemu-img info of the disk and its backing file,
    qemu-img create of a delta on the backing file, block copy, qemu-img convert, upload."""
    s = _Seq("snapshot_live", uuid_, at, _rid("snapshot_live", uuid_, at, rid), host)
    _snapshot_api(s)
    s.manager(0.19, "instance snapshotting", "snapshotting")
    s.driver(0.31, "Beginning live snapshot process", "live")
    disk = f"{INSTANCES}/{uuid_}/disk"
    out = f"{INSTANCES}/snapshots/tmpw81zc4/{_hex('snapshot', uuid_, at)}"
    s.image_info(0.36, disk, tag="disk_size")
    s.image_info(0.42, disk, tag="disk_backing")
    s.image_info(0.48, BASE_IMAGE, tag="backing_info")
    s.command(0.54, f"qemu-img create -f qcow2 -o backing_file={BASE_IMAGE},cluster_size=65536,"
              f"size=1073741824 {out}.delta", "delta", seconds=0.031)
    s.driver(0.62, "Skipping quiescing instance: QEMU guest agent is not enabled.", "quiesce_skipped")
    s.command(2.71, f"qemu-img convert -f qcow2 -O qcow2 {out}.delta {out}", "convert", seconds=1.206)
    s.driver(3.95, "Snapshot extracted, beginning image upload", "extracted")
    s.driver(6.31, "Snapshot image upload complete", "uploaded")
    return s.op


def rebuild(uuid_: str, at: float = 0.0, *, rid: str | None = None, host: str | None = None,
            stopped: bool = False) -> Op:
    """rebuild (reference 3.9): conductor (no scheduler in 2016), shut down, destroy, delete the
    files, Creating image, qemu-img create on the new image's base, VM Started, spawned; of a
    `stopped` instance, then back to stopped in the same request (step 5)."""
    s = _Seq("rebuild", uuid_, at, _rid("rebuild", uuid_, at, rid), host)
    s.action(0.0, "rebuild", {"rebuild": {"imageRef": IMAGE_ID, "name": "tempest-server-1",
                                          "adminPass": "***"}})
    s.rpc(0.368, "api", "CAST", "conductor", tag="to_conductor")
    s.action_access(0.465, length=1460)
    s.add(0.488, "cond", "DEBUG", "nova.conductor.manager",
          "No migration record for the rebuild/evacuate request.", tag="conductor",
          func=f"rebuild_instance {NOVA}/conductor/manager.py:660")
    s.rpc(0.491, "cond", "CAST", "compute")
    s.manager(0.519, "Rebuilding instance", "rebuilding")
    s.clean_shutdown(0.747)
    s.destroyed(9.875, tag="destroyed_again")
    s.delete_files(11.176)
    s.driver(16.358, "Creating image", "creating_image")
    s.image_info(16.447)
    s.cow_disk(16.8)
    s.lifecycle(21.905, "Started", "vm_started")
    s.driver(21.992, "Instance spawned successfully.", "spawned", context=False)
    if stopped:
        s.manager(22.06, "bringing vm to original state: 'stopped'", "to_original_state")
        s.manager(22.12, "Stopping instance; current vm_state: active, current task_state: powering-off, "
                  "current DB power_state: 1, current VM power_state: 1", "stop_stopping", level="DEBUG",
                  func=f"do_stop_instance {NOVA}/compute/manager.py:2570")
        s.driver(22.13, "Shutting down instance from state 1", "stop_shutting_down", level="DEBUG",
                 func=f"_clean_shutdown {NOVA}/virt/libvirt/driver.py:2379")
        s.driver(25.18, "Instance shutdown successfully after 3 seconds.", "stop_shut_down")
        s.destroyed(25.195, tag="destroyed_after_stop")
        s.lifecycle(40.2, "Stopped", "vm_stopped")
    return s.op


def lock(uuid_: str, at: float = 0.0, *, rid: str | None = None, host: str | None = None) -> Op:
    """lock (reference 3.10): nova-api only."""
    s = _Seq("lock", uuid_, at, _rid("lock", uuid_, at, rid), host)
    s.action(0.0, "lock", {"lock": None})
    s.add(0.052, "api", "DEBUG", "nova.compute.api", "Locking", tag="locking",
          func=f"lock {NOVA}/compute/api.py:3288")
    s.action_access(0.081)
    return s.op


def unlock(uuid_: str, at: float = 0.0, *, rid: str | None = None, host: str | None = None) -> Op:
    """unlock (reference 3.10): nova-api only."""
    s = _Seq("unlock", uuid_, at, _rid("unlock", uuid_, at, rid), host)
    s.action(0.0, "unlock", {"unlock": None})
    s.add(0.049, "api", "DEBUG", "nova.compute.api", "Unlocking", tag="unlocking",
          func=f"unlock {NOVA}/compute/api.py:3310")
    s.action_access(0.077)
    return s.op


def reboot_soft(uuid_: str, at: float = 0.0, *, rid: str | None = None, host: str | None = None) -> Op:
    """SOFT reboot (reference 3.11): ACPI shutdown, the domain started again."""
    s = _Seq("reboot_soft", uuid_, at, _rid("reboot_soft", uuid_, at, rid), host)
    s.action(0.0, "reboot", {"reboot": {"type": "SOFT"}})
    s.rpc(0.09, "api", "CAST", "compute")
    s.action_access(0.095)
    s.manager(0.13, "Rebooting instance", "rebooting")
    s.driver(3.41, "Instance shutdown successfully.", "shut_down")
    s.lifecycle(3.86, "Started", "vm_started")
    s.driver(4.05, "Instance running successfully.", "running", context=False)
    s.driver(4.06, "Instance soft rebooted successfully.", "rebooted")
    return s.op


def reboot_hard(uuid_: str, at: float = 0.0, *, rid: str | None = None, host: str | None = None) -> Op:
    """HARD reboot (reference 3.11): destroy, define and launch again."""
    s = _Seq("reboot_hard", uuid_, at, _rid("reboot_hard", uuid_, at, rid), host)
    s.action(0.0, "reboot", {"reboot": {"type": "HARD"}})
    s.rpc(0.09, "api", "CAST", "compute")
    s.action_access(0.095)
    s.manager(0.13, "Rebooting instance", "rebooting")
    s.destroyed(0.41)
    s.lifecycle(1.61, "Started", "vm_started")
    s.driver(1.75, "Instance rebooted successfully.", "rebooted", context=False)
    return s.op


def refused(uuid_: str, at: float, action: str, body: object, explanation: str, *,
            rid: str | None = None, status: int = 409) -> Op:
    """An action nova-api turns down (reference 3.10 and 5.2): the `Action:` line, INFO
    `HTTP exception thrown: <explanation>`, DEBUG `Returning 409 to user: <explanation>` and
    the access line with the status; nothing reaches nova-compute."""
    s = _Seq(f"refused_{action}", uuid_, at, _rid(f"refused_{action}", uuid_, at, rid))
    s.action(0.0, action, body)
    s.add(0.078, "api", "INFO", "nova.api.openstack.wsgi", f"HTTP exception thrown: {explanation}",
          tag="refusal", prefixed=False)
    s.add(0.079, "api", "DEBUG", "nova.api.openstack.wsgi", f"Returning {status} to user: {explanation}",
          tag="returning", func=f"__call__ {NOVA}/api/openstack/wsgi.py:1070", prefixed=False)
    s.access(0.08, "POST", f"/v2.1/servers/{uuid_}/action", status, 313)
    return s.op


# Operations the flows only recognize (grammars/flows/moves.flow), as Mitaka logs them.


def shelve(uuid_: str, at: float = 0.0, *, rid: str | None = None, host: str | None = None) -> Op:
    """shelve with shelved_offload_time 0 (reference 3.12), Mitaka: no `Shelving` line; power
    off, a cold snapshot of the stopped domain, then the offload (destroy, delete the files)."""
    s = _Seq("shelve", uuid_, at, _rid("shelve", uuid_, at, rid), host)
    s.action(0.0, "shelve", {"shelve": None})
    s.rpc(0.12, "api", "CAST", "compute")
    s.action_access(0.125)
    s.clean_shutdown(0.2)
    s.driver(3.61, "Beginning cold snapshot process", "cold")
    out = f"{INSTANCES}/snapshots/tmpa1b2c3/{_hex('shelve', uuid_, at)}"
    s.command(3.65, f"qemu-img convert -f qcow2 -O qcow2 {INSTANCES}/{uuid_}/disk {out}", "convert",
              seconds=2.1, returned_tag="converted")
    s.driver(5.8, "Snapshot extracted, beginning image upload", "extracted")
    s.driver(8.2, "Snapshot image upload complete", "uploaded")
    s.driver(8.45, "Instance already shutdown.", "already_shutdown")
    s.destroyed(8.47, tag="destroyed_offload")
    s.destroyed(8.6, tag="destroyed_cleanup")
    s.delete_files(9.1)
    return s.op


def unshelve(uuid_: str, at: float = 0.0, *, rid: str | None = None, host: str | None = None) -> Op:
    """unshelve of a shelved_offloaded instance (reference 3.12), Mitaka: conductor calls the
    scheduler, compute claims and spawns from the shelved image (no `Unshelving` line)."""
    s = _Seq("unshelve", uuid_, at, _rid("unshelve", uuid_, at, rid), host)
    s.action(0.0, "unshelve", {"unshelve": None})
    s.rpc(0.1, "api", "CAST", "conductor")
    s.action_access(0.105)
    s.rpc(0.13, "cond", "CALL", "scheduler")
    s.add(0.15, "sch", "DEBUG", "nova.scheduler.filter_scheduler",
          f"Selected host: WeighedHost [host: ({HOST}, {HOST}) ram: 15472MB disk: 128000MB io_ops: 0 "
          "instances: 0, weight: 0.0]", tag="schedule",
          func=f"_schedule {NOVA}/scheduler/filter_scheduler.py:131", prefixed=False)
    s.rpc(0.18, "cond", "CAST", "compute")
    s.cpu(0.3, "INFO", "nova.compute.claims", "Attempting claim: memory 64 MB, disk 0 GB, vcpus 1 CPU",
          "claim")
    s.cpu(0.31, "INFO", "nova.compute.claims", "Claim successful", "claimed")
    s.driver(0.6, "Creating image", "creating_image")
    s.image_info(0.8)
    s.cow_disk(0.9)
    s.lifecycle(3.1, "Started", "vm_started")
    s.driver(3.2, "Instance spawned successfully.", "spawned", context=False)
    return s.op


def resize(uuid_: str, at: float = 0.0, *, rid: str | None = None, host: str | None = None) -> Op:
    """resize to the same host (reference 3.13): conductor migrate_server (a call in 13), the
    scheduler; prep_resize (resize claim, `Migrating`), resize_instance (power off, move the
    files to _resize), finish_resize (Creating image, the domain started)."""
    s = _Seq("resize", uuid_, at, _rid("resize", uuid_, at, rid), host)
    s.action(0.0, "resize", {"resize": {"flavorRef": "84"}})
    s.rpc(0.1, "api", "CALL", "conductor")
    s.add(0.15, "sch", "DEBUG", "nova.scheduler.filter_scheduler",
          f"Selected host: WeighedHost [host: ({HOST}, {HOST}) ram: 15472MB disk: 128000MB io_ops: 0 "
          "instances: 1, weight: 0.0]", tag="schedule",
          func=f"_schedule {NOVA}/scheduler/filter_scheduler.py:131", prefixed=False)
    s.rpc(0.2, "cond", "CAST", "compute")
    s.action_access(0.31)
    s.cpu(0.35, "INFO", "nova.compute.claims", "Attempting claim: memory 128 MB, disk 0 GB, vcpus 1 CPU",
          "claim")
    s.cpu(0.36, "INFO", "nova.compute.claims", "Claim successful", "claimed")
    s.manager(0.4, "Migrating", "migrating")
    s.clean_shutdown(0.6)
    path = f"{INSTANCES}/{uuid_}"
    s.command(3.8, f"mv {path} {path}_resize", "files_move", seconds=0.009)
    s.driver(4.4, "Creating image", "creating_image")
    s.lifecycle(5.6, "Started", "vm_started")
    s.driver(5.7, "Instance running successfully.", "running", context=False)
    return s.op


def confirm_resize(uuid_: str, at: float = 0.0, *, rid: str | None = None, host: str | None = None) -> Op:
    """confirmResize (reference 3.13): the source drops its _resize copy."""
    s = _Seq("confirm_resize", uuid_, at, _rid("confirm_resize", uuid_, at, rid), host)
    s.action(0.0, "confirmResize", {"confirmResize": None})
    s.rpc(0.08, "api", "CAST", "compute")
    s.action_access(0.085, status=204)
    s.command(0.2, f"rm -rf {INSTANCES}/{uuid_}_resize", "files_remove", seconds=0.012)
    return s.op


def revert_resize(uuid_: str, at: float = 0.0, *, rid: str | None = None, host: str | None = None) -> Op:
    """revertResize (reference 3.13): destroy on the destination, then the source moves its files
    back, starts the domain and logs `Updating instance to original state`."""
    s = _Seq("revert_resize", uuid_, at, _rid("revert_resize", uuid_, at, rid), host)
    s.action(0.0, "revertResize", {"revertResize": None})
    s.rpc(0.08, "api", "CAST", "compute")
    s.action_access(0.085)
    s.destroyed(0.5)
    path = f"{INSTANCES}/{uuid_}"
    s.command(0.9, f"mv {path}_resize {path}", "files_move", seconds=0.009)
    s.lifecycle(2.1, "Started", "vm_started")
    s.driver(2.3, "Instance running successfully.", "running", context=False)
    s.manager(2.35, "Updating instance to original state: 'active'", "reverted")
    return s.op


def live_migration(uuid_: str, at: float = 0.0, *, rid: str | None = None, host: str | None = None,
                   dest: str = "compute2") -> Op:
    """os-migrateLive to `dest` (reference 3.14; the wording and contexts of the real Kilo logs
    in ../shared/real_logs/kilo_live_migration): the source's monitor and post lines come
    without a request id, the destination's `Post operation of migration started` with it.
    The destination's lines go to `<dest>/screen-n-cpu.txt`."""
    s = _Seq("live_migration", uuid_, at, _rid("live_migration", uuid_, at, rid), host)
    body = {"os-migrateLive": {"host": dest, "block_migration": False, "disk_over_commit": False}}
    s.action(0.0, "os-migrateLive", body)
    s.add(0.05, "api", "DEBUG", "nova.compute.api", f"Going to try to live migrate instance to {dest}",
          tag="going_to", func=f"live_migrate {NOVA}/compute/api.py:3411")
    s.rpc(0.1, "api", "CALL", "conductor")
    s.action_access(1.2)
    s.add(2.4, "cpu", "INFO", "nova.compute.manager", "VM Started (Lifecycle Event)", tag="dest_started",
          context=False, host=dest)
    s.add(2.5, "cpu", "INFO", "nova.virt.libvirt.driver",
          "Migration running for 0 secs, memory 100% remaining; (bytes processed=0, remaining=0, "
          "total=0)", tag="progress", context=False)
    s.lifecycle(6.9, "Paused", "source_paused")
    s.add(6.95, "cpu", "INFO", "nova.compute.manager", "VM Resumed (Lifecycle Event)", tag="dest_resumed",
          context=False, host=dest)
    s.driver(7.4, "Migration operation has completed", "completed", context=False)
    s.cpu(7.41, "INFO", "nova.compute.manager", "_post_live_migration() is started..", "post", context=False)
    s.add(9.2, "cpu", "INFO", "nova.compute.manager", "Post operation of migration started",
          tag="post_destination", host=dest)
    s.cpu(13.6, "INFO", "nova.compute.manager", f"Migrating instance to {dest} finished successfully.",
          "done", context=False)
    s.cpu(13.61, "INFO", "nova.compute.manager",
          'You may see the error "libvirt: QEMU error: Domain not found: no domain with matching '
          'name." This error can be safely ignored.', "ignore_note", context=False)
    # the source's Stopped, delayed 15 s; the domain is gone there, so Nova syncs nothing
    s.lifecycle(21.95, "Stopped", "source_stopped")
    return s.op


# ----------------------------------------------------------------------------- composing

Builder = Callable[..., Op]

BUILDERS: dict[str, Builder] = {
    "boot": boot, "delete": delete, "stop": stop, "start": start, "pause": pause,
    "unpause": unpause, "suspend": suspend, "resume": resume, "rescue": rescue,
    "unrescue": unrescue, "snapshot_cold": snapshot_cold, "snapshot_live": snapshot_live,
    "rebuild": rebuild, "lock": lock, "unlock": unlock, "reboot_soft": reboot_soft,
    "reboot_hard": reboot_hard, "shelve": shelve, "unshelve": unshelve, "resize": resize,
    "confirm_resize": confirm_resize, "revert_resize": revert_resize,
    "live_migration": live_migration,
}


def chain(uuid_: str, names: Iterable[str], start: float = 0.0, gap: float = 10.0,
          options: dict[str, dict[str, object]] | None = None) -> list[Op]:
    """Operations `names` on one instance, each `gap` seconds after the previous one's last line."""
    ops: list[Op] = []
    at = start
    for name in names:
        op = BUILDERS[name](uuid_, at, **(options or {}).get(name, {}))
        ops.append(op)
        at = round(op.end + gap, 3)
    return ops


def traceback_lines(at: float, logger: str, uuid_: str | None, frames: list[tuple[str, int, str, str]],
                    exception: str, service: str = "cpu") -> list[Line]:
    """An exception as oslo.log prints it: one ERROR line per traceback line, each with the
    exception prefix (`<time> <pid> ERROR <logger> [instance: …] `), no context block."""
    texts = ["Traceback (most recent call last):"]
    for path, number, function, code in frames:
        texts += [f'  File "{path}", line {number}, in {function}', f"    {code}"]
    texts.append(exception)
    tags = ["traceback"] + ["traceback_line"] * (len(texts) - 1)
    return [Line(at, service, "ERROR", logger, None, uuid_, text, tag, bare=True)
            for text, tag in zip(texts, tags, strict=True)]


# ----------------------------------------------------------------------------- writing


@dataclass
class LogDir:
    """A written log directory: where each line went."""

    path: Path
    positions: dict[Line, tuple[str, int]]  # line -> (file relative to path, 1-based line number)

    def where(self, line: Line) -> tuple[str, int]:
        return self.positions[line]

    def text(self, file: str | Path, number: int) -> str:
        """Line `number` (1-based) of `file` (absolute, or relative to the directory)."""
        target = Path(file)
        if not target.is_absolute():
            target = self.path / target
        return target.read_text(encoding="utf-8").splitlines()[number - 1]


def _flatten(items: Iterable[Op | Line | Iterable[Op | Line]]) -> list[Line]:
    lines: list[Line] = []
    for item in items:
        if isinstance(item, Op):
            lines += item.lines
        elif isinstance(item, Line):
            lines.append(item)
        else:
            lines += _flatten(item)
    return lines


def write_logs(directory: Path, *items: Op | Line | Iterable[Op | Line]) -> LogDir:
    """Write the lines of `items` (ops, lines, lists of them) as screen-n-*.txt files under
    `directory`, each file sorted by time (lines of equal time keep their given order)."""
    lines = _flatten(items)
    per_file: dict[str, list[Line]] = {}
    for line in lines:
        per_file.setdefault(line.file, []).append(line)
    positions: dict[Line, tuple[str, int]] = {}
    for name, members in per_file.items():
        members.sort(key=lambda line: round(line.t * 1000))
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("".join(line.render() + "\n" for line in members), encoding="utf-8")
        for number, line in enumerate(members, 1):
            positions[line] = (name, number)
    return LogDir(directory, positions)
