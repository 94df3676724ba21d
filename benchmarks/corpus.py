"""Synthetic multi-service Nova log corpus for novatrace's benchmarks and samples.

`generate()` writes what a small single-node Nova cloud would log while users
boot instances and drive them through the everyday operations (stop, start,
pause, unpause, suspend, resume, rescue, unrescue, snapshot, rebuild, soft and
hard reboot, lock/unlock with 409s, delete).  The wording follows
`nova_behaviour.md` (sections 3, 5 and 10): Mitaka-era text for
``style="2016"`` and today's text for ``style="current"``.  Lines are built
from a small set of pre-formatted templates so a million lines take seconds.

Layouts:

* ``oslo``: one oslo.log file per service (nova-api.log, nova-scheduler.log,
  nova-conductor.log, nova-compute.log), DEBUG lines ending in
  `` funcName path:lineno``;
* ``journald``: a single ``journal.log`` as ``journalctl -o short-precise``
  prints devstack's units (``Jun 28 13:53:52.123456 host nova-compute[pid]:``),
  DEBUG lines ending in `` {{(pid=N) funcName path:lineno}}``; continuation
  lines keep the syslog prefix, as journald stores every stdout line.

Usage: ``python benchmarks/corpus.py OUTDIR --lines N [--style current] [--layout journald]``
"""

from __future__ import annotations

import argparse
import heapq
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

SERVICES = ("api", "scheduler", "conductor", "compute")
OSLO_FILES = {
    "api": "nova-api.log",
    "scheduler": "nova-scheduler.log",
    "conductor": "nova-conductor.log",
    "compute": "nova-compute.log",
}
JOURNAL_UNITS = {
    "api": "devstack@n-api.service",
    "scheduler": "nova-scheduler",
    "conductor": "nova-conductor",
    "compute": "nova-compute",
}
START = {"2016": 1467122032.0, "current": 1728561600.0}  # 2016-06-28 13:53:52Z, 2024-10-10 12:00Z
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# --------------------------------------------------------------------------- sources
# Debug-suffix sources: key -> (funcName, path relative to the nova tree or to
# site-packages, lineno 2016, lineno current).  "n:" paths live in the nova tree.
SOURCES: dict[str, tuple[str, str, int, int]] = {
    "amqp_send": ("_send", "oslo_messaging/_drivers/amqpdriver.py", 448, 739),
    "amqp_reply": ("__call__", "oslo_messaging/_drivers/amqpdriver.py", 296, 397),
    "amqp_msg": ("__call__", "oslo_messaging/_drivers/amqpdriver.py", 196, 347),
    "amqp_sendreply": ("_send_reply", "oslo_messaging/_drivers/amqpdriver.py", 90, 129),
    "lock": ("inner", "oslo_concurrency/lockutils.py", 270, 410),
    "lock_acq": ("inner", "oslo_concurrency/lockutils.py", 270, 405),
    "unlock": ("inner", "oslo_concurrency/lockutils.py", 282, 424),
    "sem_acq": ("lock", "oslo_concurrency/lockutils.py", 215, 313),
    "sem_rel": ("lock", "oslo_concurrency/lockutils.py", 228, 334),
    "periodic": ("run_periodic_tasks", "oslo_service/periodic_task.py", 215, 210),
    "cmd_run": ("execute", "oslo_concurrency/processutils.py", 344, 390),
    "cmd_done": ("execute", "oslo_concurrency/processutils.py", 374, 428),
    "wsgi_action": ("_process_stack", "n:nova/api/openstack/wsgi.py", 621, 511),
    "wsgi_call": ("_process_stack", "n:nova/api/openstack/wsgi.py", 636, 513),
    "api_get": ("get", "n:nova/compute/api.py", 1958, 2868),
    "api_run": ("_provision_instances", "n:nova/compute/api.py", 915, 1052),
    "api_delete": ("delete", "n:nova/compute/api.py", 1858, 2606),
    "api_stop": ("force_stop", "n:nova/compute/api.py", 2058, 2800),
    "api_start": ("start", "n:nova/compute/api.py", 2089, 2823),
    "api_lock": ("lock", "n:nova/compute/api.py", 3045, 4507),
    "api_unlock": ("unlock", "n:nova/compute/api.py", 3067, 4548),
    "wsgi_ret": ("__call__", "n:nova/api/openstack/wsgi.py", 1070, 936),
    "starting": ("_do_build_and_run_instance", "n:nova/compute/manager.py", 1717, 2235),
    "net_async": ("_build_resources", "n:nova/compute/manager.py", 2030, 2710),
    "alloc_ip": ("_allocate_network_async", "n:nova/compute/manager.py", 1355, 1953),
    "net_info": ("_allocate_network_async", "n:nova/compute/manager.py", 1385, 1990),
    "bdm": ("_build_resources", "n:nova/compute/manager.py", 2063, 2745),
    "spawn_start": ("_build_and_run_instance", "n:nova/compute/manager.py", 1920, 2453),
    "guest_xml": ("_get_guest_xml", "n:nova/virt/libvirt/driver.py", 4592, 7588),
    "running": ("spawn", "n:nova/virt/libvirt/driver.py", 2783, 4517),
    "check_state": ("_get_power_state", "n:nova/compute/manager.py", 1152, 1663),
    "sync_ev": ("handle_lifecycle_event", "n:nova/compute/manager.py", 1197, 1392),
    "emit": ("emit_event", "n:nova/virt/driver.py", 1445, 1760),
    "destroying": ("_shutdown_instance", "n:nova/compute/manager.py", 2250, 3104),
    "dealloc": ("_deallocate_network", "n:nova/compute/manager.py", 1644, 2273),
    "stopping": ("do_stop_instance", "n:nova/compute/manager.py", 2546, 3378),
    "shutting": ("_clean_shutdown", "n:nova/virt/libvirt/driver.py", 2550, 3865),
    "retry": ("_do_build_and_run_instance", "n:nova/compute/manager.py", 1812, 2412),
    "no_mig": ("rebuild_instance", "n:nova/conductor/manager.py", 660, 1361),
    "filt_start": ("get_filtered_objects", "n:nova/filters.py", 70, 70),
    "filt": ("get_filtered_objects", "n:nova/filters.py", 104, 102),
    "filtered": ("_schedule", "n:nova/scheduler/filter_scheduler.py", 118, 380),
    "weighed": ("_schedule", "n:nova/scheduler/filter_scheduler.py", 123, 394),
    "selected": ("_schedule", "n:nova/scheduler/filter_scheduler.py", 131, 260),
    "hv_view": (
        "_report_hypervisor_resource_view",
        "n:nova/compute/resource_tracker.py",
        611,
        1046,
    ),
    "heal": ("_heal_instance_info_cache", "n:nova/compute/manager.py", 5579, 9983),
    "heal_none": ("_heal_instance_info_cache", "n:nova/compute/manager.py", 5655, 10058),
    "pending_del": ("_run_pending_deletes", "n:nova/compute/manager.py", 6740, 11955),
    "sched_sync": ("sync_instance_info", "n:nova/scheduler/host_manager.py", 650, 1000),
}

COMPUTE_PERIODICS = (
    "ComputeManager._instance_usage_audit",
    "ComputeManager._poll_rebooting_instances",
    "ComputeManager._poll_rescued_instances",
    "ComputeManager._poll_unconfirmed_resizes",
    "ComputeManager._poll_volume_usage",
    "ComputeManager._reclaim_queued_deletes",
    "ComputeManager._check_instance_build_time",
    "ComputeManager._sync_scheduler_instance_info",
    "ComputeManager._poll_shelved_instances",
    "ComputeManager._cleanup_running_deleted_instances",
)
FILTERS_2016 = (
    "RetryFilter",
    "AvailabilityZoneFilter",
    "RamFilter",
    "DiskFilter",
    "ComputeFilter",
    "ComputeCapabilitiesFilter",
    "ImagePropertiesFilter",
    "ServerGroupAntiAffinityFilter",
    "ServerGroupAffinityFilter",
    "SameHostFilter",
    "DifferentHostFilter",
)
FILTERS_CURRENT = (
    "AvailabilityZoneFilter",
    "ComputeFilter",
    "ComputeCapabilitiesFilter",
    "ImagePropertiesFilter",
    "ServerGroupAntiAffinityFilter",
    "ServerGroupAffinityFilter",
    "SameHostFilter",
    "DifferentHostFilter",
)

TRACEBACK_SPAWN = (
    "Traceback (most recent call last):",
    '  File "{nova}nova/compute/manager.py", line {l1}, in _build_resources',
    "    yield resources",
    '  File "{nova}nova/compute/manager.py", line {l2}, in _build_and_run_instance',
    "    block_device_info=block_device_info)",
    '  File "{nova}nova/virt/libvirt/driver.py", line {l3}, in spawn',
    "    destroy_disks_on_failure=True)",
    '  File "{nova}nova/virt/libvirt/driver.py", line {l4}, in _create_domain_and_network',
    "    guest.launch(pause=pause)",
    '  File "{nova}nova/virt/libvirt/guest.py", line 142, in launch',
    "    self._encoded_xml, errors='ignore')",
    '  File "{lib}oslo_utils/excutils.py", line 220, in __exit__',
    "    self.force_reraise()",
    '  File "{lib}oslo_utils/excutils.py", line 196, in force_reraise',
    "    six.reraise(self.type_, self.value, self.tb)",
    '  File "{nova}nova/virt/libvirt/guest.py", line 137, in launch',
    "    return self._domain.createWithFlags(flags)",
    '  File "{lib}libvirt.py", line 1099, in createWithFlags',
    "    if ret == -1: raise libvirtError ('virDomainCreateWithFlags() failed', dom=self)",
    (
        "libvirtError: internal error: process exited while connecting to monitor: "
        "qemu-system-x86_64: cannot set up guest memory 'pc.ram': Cannot allocate memory"
    ),
)
TRACEBACK_AMQP = (
    "Traceback (most recent call last):",
    '  File "{lib}oslo_messaging/_drivers/impl_rabbit.py", line 1032, in _heartbeat_thread_job',
    "    self._heartbeat_check()",
    '  File "{lib}oslo_messaging/_drivers/impl_rabbit.py", line 1014, in _heartbeat_check',
    "    self.connection.heartbeat_check(rate=self.driver_conf.heartbeat_rate)",
    '  File "{lib}kombu/connection.py", line 296, in heartbeat_check',
    "    return self.transport.heartbeat_check(self.connection, rate=rate)",
    '  File "{lib}amqp/connection.py", line 744, in heartbeat_tick',
    '    raise ConnectionForced("Too many heartbeats missed")',
    "ConnectionForced: Too many heartbeats missed",
)


NETWORK_INFO = (
    '[{{"id": "{port}", "address": "{mac}", "network": {{"id": "{net}", "bridge": "br-int", '
    '"label": "private", '
    '"subnets": [{{"cidr": "10.1.0.0/20", "dns": [], "gateway": {{"address": "10.1.0.1", '
    '"type": "gateway", "version": 4}}, '
    '"ips": [{{"address": "{ip}", "type": "fixed", "version": 4, "floating_ips": []}}], '
    '"version": 4}}], '
    '"meta": {{"injected": false, "tenant_id": null, "mtu": 1442}}}}, "type": "ovs", '
    '"details": {{"port_filter": true}}, '
    '"devname": "tap{dev}", "ovs_interfaceid": "{port}", "qbh_params": null, "meta": {{}}, '
    '"active": false, "vnic_type": "normal"}}]'
)

NETWORK_INFO_2016 = (
    "[VIF({{'profile': {{}}, 'ovs_interfaceid': u'{port}', 'preserve_on_delete': False, "
    "'network': Network({{'bridge': "
    "u'br-int', 'subnets': [Subnet({{'ips': [FixedIP({{'meta': {{}}, 'version': 4, 'type': "
    "u'fixed', 'floating_ips': [], "
    "'address': u'{ip}'}})], 'version': 4, 'meta': {{}}, 'dns': [], 'routes': [], 'cidr': "
    "u'10.1.0.0/20', 'gateway': "
    "IP({{'meta': {{}}, 'version': 4, 'type': u'gateway', 'address': u'10.1.0.1'}})}})], "
    "'meta': {{u'injected': False, "
    "u'tenant_id': u'{net}'}}, 'id': u'{net}', 'label': u'private'}}), 'devname': u'tap{dev}', "
    "'vnic_type': u'normal', "
    "'qbh_params': None, 'meta': {{}}, 'details': {{u'port_filter': True}}, 'address': "
    "u'{mac}', 'active': False, "
    "'type': u'ovs', 'id': u'{port}', 'qbg_params': None}})]"
)

# What a 409 attempt on a locked server looks like in the API `Action:` line.
LOCKED_ACTIONS = {
    "stop": ("_stop_server", '{"os-stop": null}'),
    "pause": ("_pause", '{"pause": null}'),
    "reboot_soft": ("_action_reboot", '{"reboot": {"type": "SOFT"}}'),
    "rebuild": ("_action_rebuild", '{"rebuild": {"imageRef": "cirros"}}'),
}


def _xml(
    uuid: str, name: str, mem_kb: int, vcpus: int, disk_dir: str, mac: str, rescue: bool
) -> list[str]:
    """A libvirt guest XML as `End _get_guest_xml xml=` dumps it (about 40 lines)."""
    disks = (
        [f"{disk_dir}/{uuid}/disk.rescue", f"{disk_dir}/{uuid}/disk"]
        if rescue
        else [f"{disk_dir}/{uuid}/disk"]
    )
    out = [
        f"  <uuid>{uuid}</uuid>",
        f"  <name>{name}</name>",
        f"  <memory>{mem_kb}</memory>",
        f"  <vcpu>{vcpus}</vcpu>",
        "  <metadata>",
        '    <nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.0">',
        f"      <nova:name>{name}</nova:name>",
        "    </nova:instance>",
        "  </metadata>",
        '  <sysinfo type="smbios">',
        "    <system>",
        '      <entry name="manufacturer">OpenStack Foundation</entry>',
        '      <entry name="product">OpenStack Nova</entry>',
        f'      <entry name="uuid">{uuid}</entry>',
        '      <entry name="family">Virtual Machine</entry>',
        "    </system>",
        "  </sysinfo>",
        "  <os>",
        "    <type>hvm</type>",
        '    <smbios mode="sysinfo"/>',
        "  </os>",
        "  <features>",
        "    <acpi/>",
        "    <apic/>",
        "  </features>",
        '  <clock offset="utc"/>',
        "  <devices>",
    ]
    for i, d in enumerate(disks):
        out += [
            '    <disk type="file" device="disk">',
            '      <driver name="qemu" type="qcow2" cache="none"/>',
            f'      <source file="{d}"/>',
            f'      <target bus="virtio" dev="vd{"ab"[i]}"/>',
            "    </disk>",
        ]
    out += [
        '    <interface type="bridge">',
        f'      <mac address="{mac}"/>',
        '      <model type="virtio"/>',
        "    </interface>",
        '    <serial type="pty"/>',
        '    <memballoon model="virtio">',
        '      <stats period="10"/>',
        "    </memballoon>",
        "  </devices>",
        "</domain>",
    ]
    return out


class _Instance:
    """One simulated server: identity and the state the next operation needs."""

    __slots__ = (
        "busy",
        "disk",
        "locked",
        "mac",
        "mem",
        "name",
        "project",
        "seq",
        "user",
        "uuid",
        "vcpus",
        "vm",
    )

    def __init__(
        self,
        uuid: str,
        name: str,
        user: str,
        project: str,
        seq: int,
        mac: str,
        flavor: tuple[int, int, int],
    ) -> None:
        self.uuid, self.name, self.user, self.project, self.seq, self.mac = (
            uuid,
            name,
            user,
            project,
            seq,
            mac,
        )
        self.mem, self.vcpus, self.disk = flavor
        self.vm = "building"
        self.locked = False
        self.busy = True


# An operation is a generator yielding either a float (wait that many seconds)
# or a tuple understood by _Writer.put.
Step = Any
OpGen = Iterator[Step]


class _Writer:
    """Formats and buffers lines for every service; owns the simulated clock."""

    def __init__(self, out: Path, style: str, layout: str, rng: random.Random) -> None:
        self.style, self.layout, self.rng = style, layout, rng
        self.cur = style == "current"
        self.clock = START[style]
        self.count = 0
        self.level_count: Counter[str] = Counter()
        self.host = "devstack" if layout == "journald" else "compute-01"
        base_pid = rng.randint(2000, 30000)
        self.pids = {
            "api": base_pid,
            "scheduler": base_pid + 911,
            "conductor": base_pid + 463,
            "compute": base_pid + 1550,
        }
        self.api_workers = (base_pid + 94, base_pid + 95)
        self.cond_workers = (base_pid + 1604, base_pid + 1605)
        if self.cur:
            self.nova_root, self.lib_root = (
                "/opt/stack/nova/",
                "/opt/stack/data/venv/lib/python3.10/site-packages/",
            )
        else:
            self.nova_root, self.lib_root = (
                "/opt/stack/new/nova/",
                "/usr/local/lib/python2.7/dist-packages/",
            )
        self._sfx_cache: dict[tuple[str, int], str] = {}
        self._sec = -1
        self._sec_str = ""
        self.paths: list[Path] = []
        self.files: dict[str, Any] = {}
        self.bufs: dict[str, list[str]] = {}
        out.mkdir(parents=True, exist_ok=True)
        if layout == "oslo":
            for svc in SERVICES:
                p = out / OSLO_FILES[svc]
                self.paths.append(p)
                self.files[svc] = p.open("w", encoding="utf-8", newline="\n")
                self.bufs[svc] = []
        else:
            p = out / "journal.log"
            self.paths.append(p)
            fh = p.open("w", encoding="utf-8", newline="\n")
            shared: list[str] = []
            for svc in SERVICES:
                self.files[svc] = fh
                self.bufs[svc] = shared

    # ------------------------------------------------------------------ formatting
    def src(self, key: str) -> str:
        """Path for the debug suffix of source `key`."""
        func, rel, l16, lcur = SOURCES[key]
        root = self.nova_root if rel.startswith("n:") else self.lib_root
        return f"{func} {root}{rel.removeprefix('n:')}:{lcur if self.cur else l16}"

    def suffix(self, key: str, pid: int) -> str:
        """The DEBUG suffix for `key`, cached."""
        k = (key, pid)
        s = self._sfx_cache.get(k)
        if s is None:
            s = (
                f" {{{{(pid={pid}) {self.src(key)}}}}}"
                if self.layout == "journald"
                else " " + self.src(key)
            )
            self._sfx_cache[k] = s
        return s

    def stamp(self) -> str:
        """Current timestamp in the layout's format."""
        t = self.clock
        sec = int(t)
        if sec != self._sec:
            self._sec = sec
            tm = time.gmtime(sec)
            if self.layout == "journald":
                mon = MONTHS[tm.tm_mon - 1]
                self._sec_str = f"{mon} {tm.tm_mday:02d} " + time.strftime("%H:%M:%S", tm)
            else:
                self._sec_str = time.strftime("%Y-%m-%d %H:%M:%S", tm)
        if self.layout == "journald":
            return f"{self._sec_str}.{int((t - sec) * 1e6):06d}"
        return f"{self._sec_str}.{int((t - sec) * 1e3):03d}"

    def head(self, svc: str, pid: int) -> str:
        """Everything before the level: timestamp, pid or host+unit."""
        if self.layout == "journald":
            return f"{self.stamp()} {self.host} {JOURNAL_UNITS[svc]}[{pid}]: "
        return f"{self.stamp()} {pid} "

    def tick(self, lo: float = 0.0005, hi: float = 0.06) -> None:
        """Advance the clock by a small random step."""
        self.clock += self.rng.uniform(lo, hi)

    def line(
        self,
        svc: str,
        level: str,
        logger: str,
        ctx: str,
        inst: str | None,
        msg: str,
        src: str | None = None,
        pid: int | None = None,
    ) -> None:
        """Write one header-bearing record line."""
        pid = pid or self.pids[svc]
        ip = f"[instance: {inst}] " if inst else ""
        sfx = self.suffix(src, pid) if (src and level == "DEBUG") else ""
        self.bufs[svc].append(f"{self.head(svc, pid)}{level} {logger} [{ctx}] {ip}{msg}{sfx}")
        self.count += 1
        self.level_count[level] += 1
        self.tick()

    def cont(self, svc: str, lines: list[str], pid: int | None = None) -> None:
        """Continuation lines (no oslo header); journald keeps its syslog prefix."""
        buf = self.bufs[svc]
        if self.layout == "journald":
            pre = f"{self.stamp()} {self.host} {JOURNAL_UNITS[svc]}[{pid or self.pids[svc]}]: "
            buf.extend(pre + x for x in lines)
        else:
            buf.extend(lines)
        self.count += len(lines)
        self.level_count["continuation"] += len(lines)

    def traceback(
        self,
        svc: str,
        logger: str,
        inst: str | None,
        lines: list[str],
        prefixed: bool,
        pid: int | None = None,
    ) -> None:
        """Traceback lines: oslo re-prefixes each one; a few writers leave them bare."""
        if not prefixed:
            self.cont(svc, lines, pid)
            return
        pid = pid or self.pids[svc]
        ip = f"[instance: {inst}] " if inst else ""
        head = self.head(svc, pid)
        self.bufs[svc].extend(f"{head}ERROR {logger} {ip}{x}" for x in lines)
        self.count += len(lines)
        self.level_count["ERROR"] += len(lines)

    def flush(self, force: bool = False) -> None:
        """Write buffered lines out."""
        seen: set[int] = set()
        for svc in SERVICES:
            buf = self.bufs[svc]
            if id(buf) in seen or not buf or (len(buf) < 20000 and not force):
                continue
            seen.add(id(buf))
            self.files[svc].write("\n".join(buf) + "\n")
            buf.clear()

    def close(self) -> None:
        """Flush and close every file."""
        self.flush(force=True)
        for fh in {id(f): f for f in self.files.values()}.values():
            fh.close()


class _Cloud:
    """Drives the simulation: operations interleaved with background noise."""

    def __init__(self, w: _Writer, rng: random.Random) -> None:
        self.w, self.rng, self.cur = w, rng, w.cur
        self.instances: list[_Instance] = []
        self.seq = 0
        self.ops: Counter[str] = Counter()
        self.tenants = [(self.hex32(), self.hex32()) for _ in range(6)]
        self.images = [self.uuid() for _ in range(3)]
        self.bases = {img: f"{rng.getrandbits(160):040x}" for img in self.images}
        self.net = self.uuid()
        self.disk_dir = "/opt/stack/data/nova/instances"
        self.node = w.host
        self.periodic_req = self.req()
        self.flt = FILTERS_CURRENT if self.cur else FILTERS_2016

    # ------------------------------------------------------------------ ids and contexts
    def hex32(self) -> str:
        """32 hex digits (msg ids, user and project ids)."""
        return f"{self.rng.getrandbits(128):032x}"

    def uuid(self) -> str:
        """A random uuid4-looking string."""
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"

    def req(self) -> str:
        """A fresh request id."""
        return "req-" + self.uuid()

    def ctx(self, req: str, user: str, project: str) -> str:
        """The context block for a user request."""
        if self.cur:
            return f"None {req} {user} {project} - - default default"
        return f"{req} {user} {project} - - -"

    def admin_ctx(self, req: str) -> str:
        """The context block of periodic tasks and other service-internal work."""
        return f"None {req} None None" if self.cur else f"{req} - - - - -"

    # ------------------------------------------------------------------ shared fragments
    def db_call(self, ctx: str) -> None:
        """compute → conductor RPC call (every DB access in 13; object calls today)."""
        w, mid = self.w, self.hex32()
        w.line(
            "compute",
            "DEBUG",
            "oslo_messaging._drivers.amqpdriver",
            ctx,
            None,
            f"CALL msg_id: {mid} exchange 'nova' topic 'conductor'",
            "amqp_send",
        )
        w.line(
            "conductor",
            "DEBUG",
            "oslo_messaging._drivers.amqpdriver",
            ctx,
            None,
            f"sending reply msg_id: {mid} reply queue: reply_{self.hex32()} time elapsed: "
            f"{self.rng.uniform(0.003, 0.09):.7f}s",
            "amqp_sendreply",
            pid=self.rng.choice(w.cond_workers),
        )
        w.line(
            "compute",
            "DEBUG",
            "oslo_messaging._drivers.amqpdriver",
            "-",
            None,
            f"received reply msg_id: {mid}",
            "amqp_reply",
        )

    def lock(self, svc: str, ctx: str, name: str, func: str, held: float) -> Iterator[None]:
        """lockutils acquire ... release around the caller's lines (use as a generator)."""
        w = self.w
        if self.cur:
            fq = func.replace("nova.compute.manager.", "nova.compute.manager.ComputeManager.")
            w.line(
                svc,
                "DEBUG",
                "oslo_concurrency.lockutils",
                ctx,
                None,
                f'Acquiring lock "{name}" by "{fq}"',
                "lock_acq",
            )
            w.line(
                svc,
                "DEBUG",
                "oslo_concurrency.lockutils",
                ctx,
                None,
                f'Lock "{name}" acquired by "{fq}" :: waited 0.000s',
                "lock",
            )
            yield None
            w.line(
                svc,
                "DEBUG",
                "oslo_concurrency.lockutils",
                ctx,
                None,
                f'Lock "{name}" "released" by "{fq}" :: held {held:.3f}s',
                "unlock",
            )
        else:
            w.line(
                svc,
                "DEBUG",
                "oslo_concurrency.lockutils",
                ctx,
                None,
                f'Lock "{name}" acquired by "{func}" :: waited 0.000s',
                "lock",
            )
            yield None
            w.line(
                svc,
                "DEBUG",
                "oslo_concurrency.lockutils",
                ctx,
                None,
                f'Lock "{name}" released by "{func}" :: held {held:.3f}s',
                "unlock",
            )

    def cmd(self, ctx: str, command: str) -> None:
        """processutils Running cmd / CMD returned pair."""
        w = self.w
        w.line(
            "compute",
            "DEBUG",
            "oslo_concurrency.processutils",
            ctx,
            None,
            f"Running cmd (subprocess): {command}",
            "cmd_run",
        )
        w.tick(0.01, 0.08)
        w.line(
            "compute",
            "DEBUG",
            "oslo_concurrency.processutils",
            ctx,
            None,
            f'CMD "{command}" returned: 0 in {self.rng.uniform(0.02, 0.09):.3f}s',
            "cmd_done",
        )

    def qemu_info(self, ctx: str, path: str) -> None:
        """qemu-img info under prlimit, as the libvirt driver runs it."""
        if self.cur:
            self.cmd(
                ctx,
                "/opt/stack/data/venv/bin/python3.10 -m oslo_concurrency.prlimit "
                "--as=2147483648 --cpu=30 -- "
                f"env LC_ALL=C LANG=C qemu-img info {path} --force-share --output=json",
            )
        else:
            self.cmd(
                ctx,
                "/usr/bin/python -m oslo_concurrency.prlimit --as=1073741824 --cpu=2 -- env "
                f"LC_ALL=C LANG=C qemu-img info {path}",
            )

    def api_access(
        self, ctx: str, pid: int, method: str, uri: str, status: int, length: int
    ) -> None:
        """The access line nova-api writes when a request finishes."""
        t = self.rng.uniform(0.03, 0.9)
        if self.cur:
            mv = "2.1" if method == "GET" and self.rng.random() < 0.5 else "2.96"
            self.w.line(
                "api",
                "INFO",
                "nova.api.openstack.requestlog",
                ctx,
                None,
                f'10.0.0.11 "{method} /compute/v2.1{uri}" status: {status} len: {length} '
                f"microversion: {mv} time: {t:.6f}",
                pid=pid,
            )
        else:
            self.w.line(
                "api",
                "INFO",
                "nova.osapi_compute.wsgi.server",
                ctx,
                None,
                f'127.0.0.1 "{method} /v2.1{uri} HTTP/1.1" status: {status} len: {length} '
                f"time: {t:.7f}",
                pid=pid,
            )

    def api_action(self, inst: _Instance, ctx: str, pid: int, action: str, body: str) -> None:
        """The DEBUG `Action:` line and the instance lookup of a server action."""
        w = self.w
        w.line(
            "api",
            "DEBUG",
            "nova.api.openstack.wsgi",
            ctx,
            None,
            f"Action: 'action', calling method: <bound method ServersController.{action} of "
            "<nova.api.openstack.compute.servers.ServersController object at "
            f"0x7f68cf6d6c10>>, body: {body}",
            "wsgi_action",
            pid=pid,
        )
        w.line(
            "api",
            "DEBUG",
            "nova.compute.api",
            ctx,
            inst.uuid,
            "Fetching instance by UUID",
            "api_get",
            pid=pid,
        )

    def api_cast(self, ctx: str, pid: int, topic: str) -> None:
        """The RPC cast nova-api sends for an operation."""
        self.w.line(
            "api",
            "DEBUG",
            "oslo_messaging._drivers.amqpdriver",
            ctx,
            None,
            f"CAST unique_id: {self.hex32()} exchange 'nova' topic '{topic}'",
            "amqp_send",
            pid=pid,
        )

    def compute_receive(self) -> None:
        """nova-compute picks the cast off the queue."""
        self.w.line(
            "compute",
            "DEBUG",
            "oslo_messaging._drivers.amqpdriver",
            "-",
            None,
            f"received message with unique_id: {self.hex32()}",
            "amqp_msg",
        )

    def lifecycle(
        self, inst: _Instance, event: str, vm: str, task: str | None, db: int, hv: int
    ) -> None:
        """A libvirt lifecycle event and the manager's power-state sync lines."""
        w, sreq = self.w, self.admin_ctx(self.req())
        w.line(
            "compute",
            "DEBUG",
            "nova.virt.driver",
            "-",
            None,
            f"Emitting event <LifecycleEvent: {w.clock:.2f}, {inst.uuid} => {event}>",
            "emit",
        )
        w.line(
            "compute",
            "INFO",
            "nova.compute.manager",
            "-",
            inst.uuid,
            f"VM {event} (Lifecycle Event)",
        )
        w.line(
            "compute",
            "DEBUG",
            "nova.compute.manager",
            sreq,
            inst.uuid,
            "Checking state",
            "check_state",
        )
        w.line(
            "compute",
            "DEBUG",
            "nova.compute.manager",
            sreq,
            inst.uuid,
            f'Synchronizing instance power state after lifecycle event "{event}"; current '
            f"vm_state: {vm}, "
            f"current task_state: {task}, current DB power_state: {db}, VM power_state: {hv}",
            "sync_ev",
        )
        if task is not None:
            w.line(
                "compute",
                "INFO",
                "nova.compute.manager",
                sreq,
                inst.uuid,
                f"During sync_power_state the instance has a pending task ({task}). Skip.",
            )
        elif db != hv:
            w.line(
                "compute",
                "INFO",
                "nova.compute.manager",
                sreq,
                inst.uuid,
                f"During _sync_instance_power_state the DB power_state ({db}) does not match "
                "the vm_power_state "
                f"from the hypervisor ({hv}). Updating power_state in the DB to match the "
                "hypervisor.",
            )

    def guest_xml(self, inst: _Instance, ctx: str, rescue: bool = False) -> None:
        """`End _get_guest_xml xml=` with the XML on continuation lines."""
        xml = _xml(
            inst.uuid,
            f"instance-{inst.seq:08x}",
            inst.mem * 1024,
            inst.vcpus,
            self.disk_dir,
            inst.mac,
            rescue,
        )
        self.w.line(
            "compute",
            "DEBUG",
            "nova.virt.libvirt.driver",
            ctx,
            inst.uuid,
            'End _get_guest_xml xml=<domain type="kvm">',
        )
        # The DEBUG suffix follows the closing tag on its own line, as oslo.log prints it.
        self.w.cont("compute", [*xml, self.w.suffix("guest_xml", self.w.pids["compute"])])

    def create_image(self, inst: _Instance, ctx: str, suffix: str = "") -> Iterator[Step]:
        """`Creating image` and the image-cache / qemu-img commands of a spawn."""
        w = self.w
        w.line(
            "compute",
            "INFO",
            "nova.virt.libvirt.driver",
            ctx,
            inst.uuid,
            "Creating image(s)" if self.cur else "Creating image",
        )
        base = f"{self.disk_dir}/_base/{self.bases[self.rng.choice(self.images)]}"
        disk = f"{self.disk_dir}/{inst.uuid}/disk{suffix}"
        name = base.rsplit("/", 1)[1]
        for _ in self.lock(
            "compute", ctx, name, "nova.virt.libvirt.imagebackend.fetch_func_sync", 0.05
        ):
            self.qemu_info(ctx, base)
        yield self.rng.uniform(0.05, 0.4)
        if self.cur:
            self.cmd(
                ctx,
                "env LC_ALL=C LANG=C qemu-img create -f qcow2 -o "
                f"backing_file={base},backing_fmt=raw {disk} {inst.disk << 30}",
            )
        else:
            self.cmd(ctx, f"qemu-img create -f qcow2 -o backing_file={base} {disk}")
            self.qemu_info(ctx, disk)
            self.cmd(ctx, f"qemu-img resize {disk} {inst.disk << 30}")

    def spawn_tail(
        self, inst: _Instance, ctx: str, task: str, rescue: bool = False
    ) -> Iterator[Step]:
        """From the guest XML to `Instance spawned successfully.`."""
        w = self.w
        if self.rng.random() < 0.5:
            self.guest_xml(inst, ctx, rescue)
        else:
            w.line(
                "compute",
                "DEBUG",
                "nova.virt.libvirt.driver",
                ctx,
                inst.uuid,
                f'End _get_guest_xml xml=<domain type="kvm"> <uuid>{inst.uuid}</uuid> ... '
                "</domain>",
                "guest_xml",
            )
        self.db_call(ctx)
        yield self.rng.uniform(0.5, 3.0)
        self.lifecycle(inst, "Started", inst.vm, task, 0 if task == "spawning" else 4, 1)
        if self.rng.random() < 0.6:
            self.lifecycle(inst, "Paused", inst.vm, task, 0 if task == "spawning" else 4, 3)
            yield self.rng.uniform(0.2, 2.0)
            self.lifecycle(inst, "Resumed", inst.vm, task, 0 if task == "spawning" else 4, 1)
        w.line(
            "compute",
            "DEBUG",
            "nova.virt.libvirt.driver",
            ctx,
            inst.uuid,
            "Instance is running",
            "running",
        )
        w.line(
            "compute",
            "INFO",
            "nova.virt.libvirt.driver",
            "-",
            inst.uuid,
            "Instance spawned successfully.",
        )

    def destroyed(self, inst: _Instance) -> None:
        """libvirt `_destroy`."""
        self.w.line(
            "compute",
            "INFO",
            "nova.virt.libvirt.driver",
            "-",
            inst.uuid,
            "Instance destroyed successfully.",
        )

    def power_off(self, inst: _Instance, ctx: str) -> Iterator[Step]:
        """`_clean_shutdown` + `_destroy` as stop, rescue and rebuild log them."""
        w = self.w
        w.line(
            "compute",
            "DEBUG",
            "nova.virt.libvirt.driver",
            ctx,
            inst.uuid,
            "Shutting down instance from state 1",
            "shutting",
        )
        secs = self.rng.randint(2, 9)
        yield float(secs)
        w.line(
            "compute",
            "INFO",
            "nova.virt.libvirt.driver",
            ctx,
            inst.uuid,
            f"Instance shutdown successfully after {secs} seconds.",
        )
        self.destroyed(inst)

    def delayed_stop_event(self, inst: _Instance, vm: str, task: str | None, db: int) -> OpGen:
        """The `VM Stopped` event libvirt delivers 15 s late."""
        yield 15.0 + self.rng.uniform(0.0, 0.5)
        self.lifecycle(inst, "Stopped", vm, task, db, 4)

    # ------------------------------------------------------------------ operations
    def op_boot(self) -> OpGen:
        """POST /servers through scheduler, conductor and compute."""
        w, rng = self.w, self.rng
        user, project = rng.choice(self.tenants)
        self.seq += 1
        flavor = rng.choice(((64, 1, 1), (512, 1, 1), (2048, 1, 20), (4096, 2, 40)))
        mac = f"fa:16:3e:{rng.randrange(256):02x}:{rng.randrange(256):02x}:{rng.randrange(256):02x}"
        inst = _Instance(self.uuid(), f"server-{self.seq}", user, project, self.seq, mac, flavor)
        self.instances.append(inst)
        req = self.req()
        ctx = self.ctx(req, user, project)
        apid = rng.choice(w.api_workers)
        img = rng.choice(self.images)
        w.line(
            "api",
            "DEBUG",
            "nova.api.openstack.wsgi",
            ctx,
            None,
            "Action: 'create', calling method: <bound method ServersController.create of "
            "<nova.api.openstack.compute.servers.ServersController object at 0x7f68cf6d6c10>>, "
            "body: "
            f'{{"server": {{"name": "{inst.name}", "imageRef": "{img}", '
            f'"flavorRef": "{flavor[0]}", '
            f'"networks": [{{"uuid": "{self.net}"}}]}}}}',
            "wsgi_action",
            pid=apid,
        )
        w.line(
            "api",
            "DEBUG",
            "nova.compute.api",
            ctx,
            None,
            "Going to run 1 instances...",
            "api_run",
            pid=apid,
        )
        self.api_cast(ctx, apid, "conductor")
        self.api_access(ctx, apid, "POST", "/servers", 202, rng.choice((414, 787)))
        yield rng.uniform(0.02, 0.2)
        # conductor → scheduler
        cpid = rng.choice(w.cond_workers)
        mid = self.hex32()
        w.line(
            "conductor",
            "DEBUG",
            "oslo_messaging._drivers.amqpdriver",
            ctx,
            None,
            f"CALL msg_id: {mid} exchange 'nova' topic 'scheduler'",
            "amqp_send",
            pid=cpid,
        )
        if self.cur:
            w.line(
                "scheduler",
                "DEBUG",
                "nova.scheduler.manager",
                ctx,
                None,
                f"Starting to schedule for instances: ['{inst.uuid}']",
                "filtered",
            )
        w.line(
            "scheduler", "DEBUG", "nova.filters", ctx, None, "Starting with 1 host(s)", "filt_start"
        )
        for f in self.flt:
            w.line(
                "scheduler",
                "DEBUG",
                "nova.filters",
                ctx,
                None,
                f"Filter {f} returned 1 host(s)",
                "filt",
            )
        hs = (
            f"({self.node}, {self.node}) ram: {rng.randint(8000, 15000)}MB "
            f"disk: {rng.randint(60, 120) * 1024}MB io_ops: 0 instances: {rng.randint(0, 9)}"
        )
        w.line(
            "scheduler",
            "DEBUG",
            "nova.scheduler.filter_scheduler",
            ctx,
            None,
            f"Filtered [{hs}]",
            "filtered",
        )
        w.line(
            "scheduler",
            "DEBUG",
            "nova.scheduler.filter_scheduler",
            ctx,
            None,
            f"Weighed [WeighedHost [host: {hs}, weight: 0.0]]",
            "weighed",
        )
        w.line(
            "scheduler",
            "DEBUG",
            "nova.scheduler.filter_scheduler",
            ctx,
            None,
            f"Selected host: WeighedHost [host: {hs}, weight: 0.0]",
            "selected",
        )
        w.line(
            "scheduler",
            "DEBUG",
            "oslo_messaging._drivers.amqpdriver",
            ctx,
            None,
            f"sending reply msg_id: {mid} reply queue: reply_{self.hex32()} time elapsed: "
            f"{rng.uniform(0.01, 0.05):.7f}s",
            "amqp_sendreply",
        )
        w.line(
            "conductor",
            "DEBUG",
            "oslo_messaging._drivers.amqpdriver",
            "-",
            None,
            f"received reply msg_id: {mid}",
            "amqp_reply",
            pid=cpid,
        )
        w.line(
            "conductor",
            "DEBUG",
            "oslo_messaging._drivers.amqpdriver",
            ctx,
            None,
            f"CAST unique_id: {self.hex32()} exchange 'nova' topic 'compute.{self.node}'"
            if self.cur
            else f"CAST unique_id: {self.hex32()} exchange 'nova' topic 'compute'",
            "amqp_send",
            pid=cpid,
        )
        yield rng.uniform(0.02, 0.2)
        # compute
        self.compute_receive()
        fn = "nova.compute.manager._locked_do_build_and_run_instance"
        held = rng.uniform(8.0, 25.0)
        t0 = w.clock
        for _ in self.lock("compute", ctx, inst.uuid, fn, held):
            self.db_call(ctx)
            w.line(
                "compute",
                "DEBUG",
                "nova.compute.manager",
                ctx,
                inst.uuid,
                "Starting instance...",
                "starting",
            )
            self.db_call(ctx)
            for _ in self.lock(
                "compute",
                ctx,
                "compute_resources",
                "nova.compute.resource_tracker.instance_claim",
                0.2,
            ):
                if self.cur:
                    w.line(
                        "compute",
                        "INFO",
                        "nova.compute.claims",
                        ctx,
                        inst.uuid,
                        f"Claim successful on node {self.node}",
                    )
                else:
                    self.claim_lines(inst, ctx)
            w.line(
                "compute",
                "DEBUG",
                "nova.compute.manager",
                ctx,
                inst.uuid,
                "Start building networks asynchronously for instance.",
                "net_async",
            )
            w.line(
                "compute",
                "DEBUG",
                "nova.compute.manager",
                ctx,
                inst.uuid,
                "Allocating IP information in the background.",
                "alloc_ip",
            )
            w.line(
                "compute",
                "DEBUG",
                "nova.compute.manager",
                ctx,
                inst.uuid,
                "Start building block device mappings for instance.",
                "bdm",
            )
            self.db_call(ctx)
            w.line(
                "compute",
                "DEBUG",
                "nova.compute.manager",
                ctx,
                inst.uuid,
                "Start spawning the instance on the hypervisor.",
                "spawn_start",
            )
            t_spawn = w.clock
            yield from self.create_image(inst, ctx)
            ip = f"10.1.{rng.randrange(256)}.{rng.randrange(2, 255)}"
            vif = (NETWORK_INFO if self.cur else NETWORK_INFO_2016).format(
                port=self.uuid(), mac=inst.mac, net=self.net, ip=ip, dev=self.hex32()[:11]
            )
            w.line(
                "compute",
                "DEBUG",
                "nova.compute.manager",
                ctx,
                inst.uuid,
                f"Instance network_info: |{vif}|",
                "net_info",
            )
            if rng.random() < 0.03:
                # Spawn failure: ERROR with a traceback, no reschedule, instance in error.
                w.line(
                    "compute",
                    "ERROR",
                    "nova.compute.manager",
                    ctx,
                    inst.uuid,
                    "Instance failed to spawn",
                )
                tb = [
                    x.format(nova=w.nova_root, lib=w.lib_root, l1=2078, l2=1932, l3=2795, l4=4934)
                    for x in TRACEBACK_SPAWN
                ]
                w.traceback(
                    "compute", "nova.compute.manager", inst.uuid, tb, prefixed=rng.random() < 0.85
                )
                self.destroyed(inst)
                w.line(
                    "compute",
                    "DEBUG",
                    "nova.compute.manager",
                    ctx,
                    inst.uuid,
                    "Retry info not present, will not reschedule",
                    "retry",
                )
                self.db_call(ctx)
                inst.vm = "error"
                inst.busy = False
                self.ops["boot_failed"] += 1
                return
            if not self.cur and rng.random() < 0.02:
                yield 300.0
                w.line(
                    "compute",
                    "WARNING",
                    "nova.virt.libvirt.driver",
                    ctx,
                    inst.uuid,
                    f"Timeout waiting for vif plugging callback for instance {inst.uuid}",
                )
            yield from self.spawn_tail(inst, ctx, "spawning")
            w.line(
                "compute",
                "INFO",
                "nova.compute.manager",
                ctx,
                inst.uuid,
                f"Took {w.clock - t_spawn + rng.uniform(1, 5):.2f} seconds to spawn the "
                "instance on the hypervisor.",
            )
            self.db_call(ctx)
            w.line(
                "compute",
                "INFO",
                "nova.compute.manager",
                ctx,
                inst.uuid,
                f"Took {w.clock - t0 + rng.uniform(1, 5):.2f} seconds to build instance.",
            )
        inst.vm = "active"
        inst.busy = False

    def claim_lines(self, inst: _Instance, ctx: str) -> None:
        """The 13-era claim detail lines."""
        w, rng = self.w, self.rng
        used = rng.randint(1, 20) * 512
        w.line(
            "compute",
            "INFO",
            "nova.compute.claims",
            ctx,
            inst.uuid,
            f"Attempting claim: memory {inst.mem} MB, disk {inst.disk} GB, vcpus {inst.vcpus} CPU",
        )
        w.line(
            "compute",
            "INFO",
            "nova.compute.claims",
            ctx,
            inst.uuid,
            f"Total memory: 16048 MB, used: {used:.2f} MB",
        )
        w.line(
            "compute",
            "INFO",
            "nova.compute.claims",
            ctx,
            inst.uuid,
            f"memory limit: 24072.00 MB, free: {24072 - used:.2f} MB",
        )
        w.line(
            "compute",
            "INFO",
            "nova.compute.claims",
            ctx,
            inst.uuid,
            f"Total disk: 149 GB, used: {rng.randint(0, 60):.2f} GB",
        )
        w.line(
            "compute",
            "INFO",
            "nova.compute.claims",
            ctx,
            inst.uuid,
            "disk limit: 149.00 GB, free: 149.00 GB",
        )
        w.line(
            "compute",
            "INFO",
            "nova.compute.claims",
            ctx,
            inst.uuid,
            f"Total vcpu: 8 VCPU, used: {rng.randint(0, 8):.2f} VCPU",
        )
        w.line(
            "compute",
            "INFO",
            "nova.compute.claims",
            ctx,
            inst.uuid,
            "vcpu limit not specified, defaulting to unlimited",
        )
        w.line("compute", "INFO", "nova.compute.claims", ctx, inst.uuid, "Claim successful")

    def simple_action(
        self,
        inst: _Instance,
        ctx: str,
        apid: int,
        action: str,
        body: str,
        api_msg: str | None = None,
        api_src: str = "api_get",
    ) -> None:
        """API side of a server action that casts to compute."""
        self.api_action(inst, ctx, apid, action, body)
        if api_msg:
            self.w.line(
                "api", "DEBUG", "nova.compute.api", ctx, inst.uuid, api_msg, api_src, pid=apid
            )
        self.api_cast(ctx, apid, f"compute.{self.node}" if self.cur else "compute")
        self.api_access(ctx, apid, "POST", f"/servers/{inst.uuid}/action", 202, 0)

    def op_action(self, inst: _Instance, op: str) -> OpGen:
        """Every operation on an existing instance."""
        w, rng = self.w, self.rng
        req = self.req()
        ctx = self.ctx(req, inst.user, inst.project)
        apid = rng.choice(w.api_workers)
        wi = "nova.compute.manager"
        lv = "nova.virt.libvirt.driver"
        if inst.locked and op not in ("unlock", "snapshot"):
            # Non-admin action on a locked server: 409 from nova-api, nothing else.
            meth, body = LOCKED_ACTIONS.get(op, ("_stop_server", '{"os-stop": null}'))
            self.api_action(inst, ctx, apid, meth, body)
            w.line(
                "api",
                "INFO",
                "nova.api.openstack.wsgi",
                ctx,
                None,
                f"HTTP exception thrown: Instance {inst.uuid} is locked",
                pid=apid,
            )
            self.api_access(ctx, apid, "POST", f"/servers/{inst.uuid}/action", 409, 115)
            self.ops["locked_409"] += 1
            self.ops[op] -= 1  # counted as a 409, not as the operation
            return
        if op == "delete":
            w.line(
                "api",
                "DEBUG",
                "nova.api.openstack.wsgi",
                ctx,
                None,
                "Calling method '<bound method ServersController.delete of "
                "<nova.api.openstack.compute.servers.ServersController "
                "object at 0x7f68cf6d6c10>>'",
                "wsgi_call",
                pid=apid,
            )
            w.line(
                "api",
                "DEBUG",
                "nova.compute.api",
                ctx,
                inst.uuid,
                "Fetching instance by UUID",
                "api_get",
                pid=apid,
            )
            w.line(
                "api",
                "DEBUG",
                "nova.compute.api",
                ctx,
                inst.uuid,
                "Going to try to terminate instance",
                "api_delete",
                pid=apid,
            )
            self.api_cast(ctx, apid, f"compute.{self.node}" if self.cur else "compute")
            self.api_access(ctx, apid, "DELETE", f"/servers/{inst.uuid}", 204, 0)
            yield rng.uniform(0.02, 0.2)
            self.compute_receive()
            for _ in self.lock(
                "compute",
                ctx,
                inst.uuid,
                "nova.compute.manager.do_terminate_instance",
                rng.uniform(2, 6),
            ):
                w.line("compute", "INFO", wi, ctx, inst.uuid, "Terminating instance")
                w.line(
                    "compute",
                    "DEBUG",
                    wi,
                    ctx,
                    inst.uuid,
                    "Start destroying the instance on the hypervisor.",
                    "destroying",
                )
                t0 = w.clock
                yield rng.uniform(0.3, 2.0)
                self.destroyed(inst)
                path = f"{self.disk_dir}/{inst.uuid}"
                if not self.cur:
                    self.cmd(ctx, f"mv {path} {path}_del")
                w.line("compute", "INFO", lv, ctx, inst.uuid, f"Deleting instance files {path}_del")
                w.line("compute", "INFO", lv, ctx, inst.uuid, f"Deletion of {path}_del complete")
                w.line(
                    "compute",
                    "INFO",
                    wi,
                    ctx,
                    inst.uuid,
                    f"Took {w.clock - t0:.2f} seconds to destroy the instance on the hypervisor.",
                )
                w.line(
                    "compute",
                    "DEBUG",
                    wi,
                    ctx,
                    inst.uuid,
                    "Deallocating network for instance",
                    "dealloc",
                )
                yield rng.uniform(0.3, 1.5)
                w.line(
                    "compute",
                    "INFO",
                    wi,
                    ctx,
                    inst.uuid,
                    f"Took {rng.uniform(0.3, 1.5):.2f} seconds to deallocate network for instance.",
                )
                self.db_call(ctx)
            was = inst.vm
            inst.vm = "deleted"
            if was in ("active", "paused", "rescued"):
                yield from self.delayed_stop_event(inst, "deleted", None, 0)
            return
        if op == "lock" or op == "unlock":
            w.line(
                "api",
                "DEBUG",
                "nova.api.openstack.wsgi",
                ctx,
                None,
                f"Action: 'action', calling method: <bound method LockServerController._{op} of "
                "<nova.api.openstack.compute.lock_server.LockServerController object at "
                f'0x7f68cf59e350>>, body: {{"{op}": null}}',
                "wsgi_action",
                pid=apid,
            )
            w.line(
                "api",
                "DEBUG",
                "nova.compute.api",
                ctx,
                inst.uuid,
                "Fetching instance by UUID",
                "api_get",
                pid=apid,
            )
            w.line(
                "api",
                "DEBUG",
                "nova.compute.api",
                ctx,
                inst.uuid,
                "Locking" if op == "lock" else "Unlocking",
                "api_lock" if op == "lock" else "api_unlock",
                pid=apid,
            )
            self.api_access(ctx, apid, "POST", f"/servers/{inst.uuid}/action", 202, 0)
            inst.locked = op == "lock"
            return
        if op == "stop":
            self.simple_action(
                inst,
                ctx,
                apid,
                "_stop_server",
                '{"os-stop": null}',
                "Going to try to stop instance",
                "api_stop",
            )
            yield rng.uniform(0.02, 0.2)
            self.compute_receive()
            for _ in self.lock(
                "compute",
                ctx,
                inst.uuid,
                "nova.compute.manager.do_stop_instance",
                rng.uniform(3, 10),
            ):
                w.line("compute", "DEBUG", wi, ctx, inst.uuid, "Checking state", "check_state")
                w.line(
                    "compute",
                    "DEBUG",
                    wi,
                    ctx,
                    inst.uuid,
                    "Stopping instance; current vm_state: active, current task_state: "
                    "powering-off, current DB power_state: 1, "
                    "current VM power_state: 1",
                    "stopping",
                )
                yield from self.power_off(inst, ctx)
                self.db_call(ctx)
            inst.vm = "stopped"
            yield from self.delayed_stop_event(inst, "stopped", None, 4)
            return
        if op == "start":
            self.simple_action(
                inst,
                ctx,
                apid,
                "_start_server",
                '{"os-start": null}',
                "Going to try to start instance",
                "api_start",
            )
            yield rng.uniform(0.02, 0.2)
            self.compute_receive()
            self.db_call(ctx)
            yield from self.spawn_tail_reboot(inst, ctx, "powering-on")
            inst.vm = "active"
            return
        if op in ("reboot_soft", "reboot_hard"):
            kind = "SOFT" if op == "reboot_soft" else "HARD"
            self.simple_action(
                inst, ctx, apid, "_action_reboot", f'{{"reboot": {{"type": "{kind}"}}}}'
            )
            yield rng.uniform(0.02, 0.2)
            self.compute_receive()
            self.db_call(ctx)
            w.line("compute", "INFO", wi, ctx, inst.uuid, "Rebooting instance")
            w.line("compute", "DEBUG", wi, ctx, inst.uuid, "Checking state", "check_state")
            if kind == "SOFT" and rng.random() < 0.9:
                yield rng.uniform(2, 8)
                w.line("compute", "INFO", lv, "-", inst.uuid, "Instance shutdown successfully.")
                self.lifecycle(inst, "Started", "active", "reboot_started", 1, 1)
                w.line("compute", "INFO", lv, "-", inst.uuid, "Instance running successfully.")
                w.line(
                    "compute", "INFO", lv, "-", inst.uuid, "Instance soft rebooted successfully."
                )
            else:
                if kind == "SOFT":
                    yield 120.0
                    w.line(
                        "compute",
                        "WARNING",
                        lv,
                        ctx,
                        inst.uuid,
                        "Failed to soft reboot instance. Trying hard reboot.",
                    )
                yield from self.spawn_tail_reboot(inst, ctx, "reboot_started_hard")
            self.db_call(ctx)
            return
        if op in ("pause", "unpause", "suspend", "resume"):
            body = {
                "pause": '{"pause": null}',
                "unpause": '{"unpause": null}',
                "suspend": '{"suspend": null}',
                "resume": '{"resume": null}',
            }[op]
            self.simple_action(inst, ctx, apid, f"_{op}", body)
            yield rng.uniform(0.02, 0.2)
            self.compute_receive()
            self.db_call(ctx)
            if op == "pause":
                w.line("compute", "INFO", wi, ctx, inst.uuid, "Pausing")
                yield rng.uniform(0.1, 0.5)
                self.lifecycle(inst, "Paused", "active", "pausing", 1, 3)
                inst.vm = "paused"
            elif op == "unpause":
                w.line("compute", "INFO", wi, ctx, inst.uuid, "Unpausing")
                yield rng.uniform(0.1, 0.5)
                self.lifecycle(inst, "Resumed", "paused", "unpausing", 3, 1)
                inst.vm = "active"
            elif op == "suspend":
                yield rng.uniform(0.5, 3.0)
                self.lifecycle(inst, "Paused", "active", "suspending", 1, 3)
                self.db_call(ctx)
                inst.vm = "suspended"
                yield from self.delayed_stop_event(inst, "suspended", None, 4)
            else:
                w.line("compute", "INFO", wi, ctx, inst.uuid, "Resuming")
                yield rng.uniform(0.5, 2.0)
                self.lifecycle(inst, "Started", "suspended", "resuming", 4, 1)
                if rng.random() < 0.5:
                    self.lifecycle(inst, "Resumed", "suspended", "resuming", 4, 1)
                inst.vm = "active"
            self.db_call(ctx)
            return
        if op == "rescue":
            self.simple_action(inst, ctx, apid, "_rescue", '{"rescue": {"adminPass": "***"}}')
            yield rng.uniform(0.02, 0.2)
            self.compute_receive()
            self.db_call(ctx)
            w.line("compute", "INFO", wi, ctx, inst.uuid, "Rescuing")
            if rng.random() < 0.3:
                w.line(
                    "compute",
                    "WARNING",
                    wi,
                    ctx,
                    inst.uuid,
                    "Unable to find a different image to use for rescue VM, using instance's "
                    "current image",
                )
            if inst.vm == "active":
                yield from self.power_off(inst, ctx)
            if self.cur:
                w.line("compute", "INFO", lv, ctx, inst.uuid, "Attempting rescue")
            yield from self.create_image(inst, ctx, ".rescue")
            self.destroyed(inst)
            yield from self.spawn_tail(inst, ctx, "rescuing", rescue=True)
            self.db_call(ctx)
            inst.vm = "rescued"
            return
        if op == "unrescue":
            self.simple_action(inst, ctx, apid, "_unrescue", '{"unrescue": null}')
            yield rng.uniform(0.02, 0.2)
            self.compute_receive()
            self.db_call(ctx)
            w.line("compute", "INFO", wi, ctx, inst.uuid, "Unrescuing")
            self.destroyed(inst)
            yield rng.uniform(0.5, 2.0)
            self.lifecycle(inst, "Started", "rescued", "unrescuing", 1, 1)
            self.db_call(ctx)
            inst.vm = "active"
            return
        if op == "snapshot":
            img = self.uuid()
            self.api_action(
                inst,
                ctx,
                apid,
                "_action_create_image",
                f'{{"createImage": {{"name": "snap-{inst.seq}"}}}}',
            )
            self.api_cast(ctx, apid, f"compute.{self.node}" if self.cur else "compute")
            self.api_access(ctx, apid, "POST", f"/servers/{inst.uuid}/action", 202, 0)
            yield rng.uniform(0.02, 0.2)
            self.compute_receive()
            self.db_call(ctx)
            w.line("compute", "INFO", wi, ctx, inst.uuid, "instance snapshotting")
            if inst.vm != "active":
                w.line(
                    "compute",
                    "WARNING",
                    wi,
                    ctx,
                    inst.uuid,
                    "trying to snapshot a non-running instance: (state: 4 expected: 1)",
                )
            disk = f"{self.disk_dir}/{inst.uuid}/disk"
            out = f"{self.disk_dir}/snapshots/tmp{self.hex32()[:8]}/{self.hex32()}"
            t0 = w.clock
            if self.cur and inst.vm == "active":
                w.line("compute", "INFO", lv, ctx, inst.uuid, "Beginning live snapshot process")
                self.qemu_info(ctx, disk)
                self.cmd(
                    ctx,
                    "qemu-img create -f qcow2 -o "
                    f"backing_file={self.disk_dir}/_base/{self.bases[self.images[0]]},"
                    f"cluster_size=65536,size={inst.disk << 30} {out}.delta",
                )
                yield rng.uniform(1, 4)
                self.cmd(ctx, f"qemu-img convert -t none -O qcow2 -f qcow2 {out}.delta {out}")
            else:
                w.line("compute", "INFO", lv, ctx, inst.uuid, "Beginning cold snapshot process")
                if inst.vm == "active":
                    self.lifecycle(inst, "Paused", "active", "image_pending_upload", 1, 3)
                self.qemu_info(ctx, disk)
                yield rng.uniform(1, 4)
                self.cmd(
                    ctx,
                    f"qemu-img convert -t none -O qcow2 -f qcow2 {disk} {out}"
                    if self.cur
                    else f"qemu-img convert -f qcow2 -O qcow2 {disk} {out}",
                )
                if inst.vm == "active":
                    self.lifecycle(inst, "Started", "active", "image_pending_upload", 4, 1)
            w.line(
                "compute", "INFO", lv, ctx, inst.uuid, "Snapshot extracted, beginning image upload"
            )
            yield rng.uniform(1, 6)
            w.line("compute", "INFO", lv, ctx, inst.uuid, "Snapshot image upload complete")
            if self.cur:
                w.line(
                    "compute",
                    "INFO",
                    wi,
                    ctx,
                    inst.uuid,
                    f"Took {w.clock - t0:.2f} seconds to snapshot the instance on the hypervisor.",
                )
            self.db_call(ctx)
            return
        if op == "rebuild":
            img = rng.choice(self.images)
            self.api_action(
                inst, ctx, apid, "_action_rebuild", f'{{"rebuild": {{"imageRef": "{img}"}}}}'
            )
            w.line(
                "api",
                "DEBUG",
                "oslo_messaging._drivers.amqpdriver",
                ctx,
                None,
                f"CAST unique_id: {self.hex32()} exchange 'nova' topic 'conductor'",
                "amqp_send",
                pid=apid,
            )
            self.api_access(ctx, apid, "POST", f"/servers/{inst.uuid}/action", 202, 1636)
            yield rng.uniform(0.02, 0.2)
            cpid = rng.choice(w.cond_workers)
            w.line(
                "conductor",
                "DEBUG",
                "nova.conductor.manager",
                ctx,
                inst.uuid,
                "No migration record for the rebuild/evacuate request.",
                "no_mig",
                pid=cpid,
            )
            w.line(
                "conductor",
                "DEBUG",
                "oslo_messaging._drivers.amqpdriver",
                ctx,
                None,
                f"CAST unique_id: {self.hex32()} exchange 'nova' topic 'compute'",
                "amqp_send",
                pid=cpid,
            )
            yield rng.uniform(0.02, 0.2)
            self.compute_receive()
            self.db_call(ctx)
            w.line("compute", "INFO", wi, ctx, inst.uuid, "Rebuilding instance")
            was = inst.vm
            if was == "active":
                yield from self.power_off(inst, ctx)
            self.destroyed(inst)
            path = f"{self.disk_dir}/{inst.uuid}"
            if not self.cur:
                self.cmd(ctx, f"mv {path} {path}_del")
            w.line("compute", "INFO", lv, ctx, inst.uuid, f"Deleting instance files {path}_del")
            w.line("compute", "INFO", lv, ctx, inst.uuid, f"Deletion of {path}_del complete")
            self.db_call(ctx)
            yield from self.create_image(inst, ctx)
            yield from self.spawn_tail(inst, ctx, "rebuild_spawning")
            self.db_call(ctx)
            inst.vm = "active"
            if was == "stopped":
                w.line(
                    "compute",
                    "INFO",
                    wi,
                    ctx,
                    inst.uuid,
                    "bringing vm to original state: 'stopped'",
                )
                yield from self.power_off(inst, ctx)
                inst.vm = "stopped"
            return
        raise ValueError(op)

    def spawn_tail_reboot(self, inst: _Instance, ctx: str, task: str) -> Iterator[Step]:
        """Hard-reboot tail (used by hard reboot and start)."""
        w = self.w
        self.destroyed(inst)
        self.qemu_info(ctx, f"{self.disk_dir}/{inst.uuid}/disk")
        if self.rng.random() < 0.3:
            self.guest_xml(inst, ctx)
        yield self.rng.uniform(0.5, 2.0)
        self.lifecycle(inst, "Started", inst.vm, task, 4 if task == "powering-on" else 1, 1)
        w.line(
            "compute",
            "INFO",
            "nova.virt.libvirt.driver",
            "-",
            inst.uuid,
            "Instance rebooted successfully.",
        )

    # ------------------------------------------------------------------ noise
    def noise(self) -> None:
        """One burst of background DEBUG/INFO activity."""
        w, rng = self.w, self.rng
        r = rng.random()
        if r < 0.30:
            # tempest-style status polling: GET /servers/<id> on nova-api
            live = [i for i in self.instances if i.vm != "deleted"] or self.instances
            if not live:
                return
            inst = rng.choice(live)
            ctx = self.ctx(self.req(), inst.user, inst.project)
            apid = rng.choice(w.api_workers)
            w.line(
                "api",
                "DEBUG",
                "nova.api.openstack.wsgi",
                ctx,
                None,
                "Calling method '<bound method ServersController.show of "
                "<nova.api.openstack.compute.servers.ServersController "
                "object at 0x7f68cf6d6c10>>'",
                "wsgi_call",
                pid=apid,
            )
            w.line(
                "api",
                "DEBUG",
                "nova.compute.api",
                ctx,
                inst.uuid,
                "Fetching instance by UUID",
                "api_get",
                pid=apid,
            )
            if inst.vm == "deleted":
                w.line(
                    "api",
                    "INFO",
                    "nova.api.openstack.wsgi",
                    ctx,
                    None,
                    f"HTTP exception thrown: Instance {inst.uuid} could not be found.",
                    pid=apid,
                )
                self.api_access(ctx, apid, "GET", f"/servers/{inst.uuid}", 404, 111)
            else:
                self.api_access(
                    ctx, apid, "GET", f"/servers/{inst.uuid}", 200, rng.randint(1500, 1900)
                )
        elif r < 0.55:
            # compute ↔ conductor chatter with no context (service heartbeat)
            mid = self.hex32()
            w.line(
                "compute",
                "DEBUG",
                "oslo_messaging._drivers.amqpdriver",
                "-",
                None,
                f"CALL msg_id: {mid} exchange 'nova' topic 'conductor'",
                "amqp_send",
            )
            w.line(
                "conductor",
                "DEBUG",
                "oslo_messaging._drivers.amqpdriver",
                "-",
                None,
                f"received message msg_id: {mid} reply to reply_{self.hex32()}",
                "amqp_msg",
                pid=rng.choice(w.cond_workers),
            )
            w.line(
                "compute",
                "DEBUG",
                "oslo_messaging._drivers.amqpdriver",
                "-",
                None,
                f"received reply msg_id: {mid}",
                "amqp_reply",
            )
        elif r < 0.80:
            self.periodic_burst()
        elif r < 0.90:
            ctx = self.admin_ctx(self.req())
            mid = self.hex32()
            w.line(
                "compute",
                "DEBUG",
                "oslo_messaging._drivers.amqpdriver",
                ctx,
                None,
                f"CAST unique_id: {mid} FANOUT topic 'scheduler'",
                "amqp_send",
            )
            w.line(
                "scheduler",
                "DEBUG",
                "oslo_messaging._drivers.amqpdriver",
                "-",
                None,
                f"received message with unique_id: {mid}",
                "amqp_msg",
            )
            for _ in self.lock(
                "scheduler",
                ctx,
                "host_instance",
                "nova.scheduler.host_manager.sync_instance_info",
                0.0,
            ):
                w.line(
                    "scheduler",
                    "DEBUG" if self.cur else "INFO",
                    "nova.scheduler.host_manager",
                    ctx,
                    None,
                    f"Successfully synced instances from host '{self.node}'.",
                    "sched_sync",
                )
        else:
            self.resource_audit()

    def periodic_burst(self) -> None:
        """A few `Running periodic task` lines on nova-compute (and sometimes the scheduler)."""
        w, rng = self.w, self.rng
        ctx = self.admin_ctx(self.periodic_req)
        for _ in range(rng.randint(1, 4)):
            w.line(
                "compute",
                "DEBUG",
                "oslo_service.periodic_task",
                ctx,
                None,
                f"Running periodic task {rng.choice(COMPUTE_PERIODICS)}",
                "periodic",
            )
        if rng.random() < 0.25:
            w.line(
                "scheduler",
                "DEBUG",
                "oslo_service.periodic_task",
                ctx,
                None,
                "Running periodic task SchedulerManager._expire_reservations"
                if not self.cur
                else "Running periodic task SchedulerManager._discover_hosts_in_cells",
                "periodic",
            )
        if rng.random() < 0.2:
            w.line(
                "compute",
                "DEBUG",
                "oslo_service.periodic_task",
                ctx,
                None,
                "Running periodic task ComputeManager._heal_instance_info_cache",
                "periodic",
            )
            w.line(
                "compute",
                "DEBUG",
                "nova.compute.manager",
                ctx,
                None,
                "Starting heal instance info cache",
                "heal",
            )
            w.line(
                "compute",
                "DEBUG",
                "nova.compute.manager",
                ctx,
                None,
                "Rebuilding the list of instances to heal",
                "heal",
            )
            w.line(
                "compute",
                "DEBUG",
                "nova.compute.manager",
                ctx,
                None,
                "Didn't find any instances for network info cache update.",
                "heal_none",
            )
        if rng.random() < 0.1:
            live = [i for i in self.instances if i.vm in ("active", "stopped", "paused")]
            w.line(
                "compute",
                "DEBUG",
                "oslo_service.periodic_task",
                ctx,
                None,
                "Running periodic task ComputeManager._sync_power_states",
                "periodic",
            )
            if live and rng.random() < 0.3:
                w.line(
                    "compute",
                    "WARNING",
                    "nova.compute.manager",
                    ctx,
                    None,
                    f"While synchronizing instance power states, found {len(live)} instances "
                    "in the database and "
                    f"{max(0, len(live) - 1)} instances on the hypervisor.",
                )
            for inst in live[-3:]:
                w.line(
                    "compute",
                    "DEBUG",
                    "nova.compute.manager",
                    ctx,
                    inst.uuid,
                    "Checking state",
                    "check_state",
                )
        if rng.random() < 0.05:
            w.line(
                "compute",
                "DEBUG",
                "oslo_service.periodic_task",
                ctx,
                None,
                "Running periodic task ComputeManager._run_image_cache_manager_pass",
                "periodic",
            )
            for img in self.images:
                base = f"{self.disk_dir}/_base/{self.bases[img]}"
                w.line(
                    "compute",
                    "INFO",
                    "nova.virt.libvirt.imagecache",
                    ctx,
                    None,
                    f"image {img} at ({base}): checking",
                )
                w.line(
                    "compute",
                    "INFO",
                    "nova.virt.libvirt.imagecache",
                    ctx,
                    None,
                    f"image {img} at ({base}): in use: on this node {rng.randint(0, 4)} local, "
                    "0 on other nodes sharing this instance storage",
                )
            w.line(
                "compute",
                "INFO",
                "nova.virt.libvirt.imagecache",
                ctx,
                None,
                f"Active base files: {self.disk_dir}/_base/{self.bases[self.images[0]]}",
            )
            if rng.random() < 0.3:
                w.line(
                    "compute",
                    "WARNING",
                    "nova.virt.libvirt.imagecache",
                    ctx,
                    None,
                    f"Unknown base file: {self.disk_dir}/_base/{self.rng.getrandbits(160):040x}",
                )
        if rng.random() < 0.004:
            # Lost AMQP heartbeat: ERROR + traceback; a few writers leave the traceback unprefixed.
            tb = [x.format(lib=w.lib_root) for x in TRACEBACK_AMQP]
            w.line(
                "compute",
                "ERROR",
                "oslo.messaging._drivers.impl_rabbit",
                "-",
                None,
                "Unexpected error during heartbeart thread processing, retrying...",
            )
            w.traceback(
                "compute",
                "oslo.messaging._drivers.impl_rabbit",
                None,
                tb,
                prefixed=rng.random() < 0.6,
            )

    def resource_audit(self) -> None:
        """update_available_resource: audit, hypervisor view, final view."""
        w, rng = self.w, self.rng
        ctx = self.admin_ctx(self.periodic_req)
        info = "DEBUG" if self.cur else "INFO"
        w.line(
            "compute",
            "DEBUG",
            "oslo_service.periodic_task",
            ctx,
            None,
            "Running periodic task ComputeManager.update_available_resource",
            "periodic",
        )
        w.line(
            "compute",
            info,
            "nova.compute.resource_tracker",
            ctx,
            None,
            f"Auditing locally available compute resources for {self.node} (node: {self.node})"
            if self.cur
            else f"Auditing locally available compute resources for node {self.node}",
            "hv_view",
        )
        free = rng.randint(4000, 15000)
        w.line(
            "compute",
            "DEBUG",
            "nova.compute.resource_tracker",
            ctx,
            None,
            f"Hypervisor/Node resource view: name={self.node} free_ram={free}MB "
            f"free_disk={rng.randint(60, 140)}GB "
            f"free_vcpus={rng.randint(0, 8)} pci_devices=None",
            "hv_view",
        )
        for _ in self.lock(
            "compute",
            ctx,
            "compute_resources",
            "nova.compute.resource_tracker._update_available_resource",
            rng.uniform(0.05, 0.3),
        ):
            self.db_call(ctx)
            if not self.cur:
                w.line(
                    "compute",
                    "INFO",
                    "nova.compute.resource_tracker",
                    ctx,
                    None,
                    f"Total usable vcpus: 8, total allocated vcpus: {rng.randint(0, 8)}",
                )
            w.line(
                "compute",
                info,
                "nova.compute.resource_tracker",
                ctx,
                None,
                f"Final resource view: name={self.node} phys_ram=16048MB "
                f"used_ram={16048 - free}MB phys_disk=149GB "
                f"used_disk={rng.randint(0, 80)}GB total_vcpus=8 "
                f"used_vcpus={rng.randint(0, 8)} pci_stats=[]"
                + (" stats={'failed_builds': '0'}" if self.cur else ""),
                "hv_view",
            )
            self.db_call(ctx)
            w.line(
                "compute",
                info,
                "nova.compute.resource_tracker",
                ctx,
                None,
                f"Compute_service record updated for {self.node}:{self.node}",
                "hv_view",
            )

    # ------------------------------------------------------------------ scheduling
    def next_op(self) -> OpGen | None:
        """Pick an operation for an idle instance (or boot a new one)."""
        rng = self.rng
        live = [i for i in self.instances if i.vm != "deleted"]
        idle = [i for i in live if not i.busy]
        if len(live) < 4 or (len(live) < 12 and rng.random() < 0.12) or not idle:
            self.ops["boot"] += 1
            return self.op_boot()
        inst = rng.choice(idle)
        if inst.locked:
            op = rng.choice(("unlock", "unlock", "stop", "pause", "reboot_soft", "rebuild"))
        elif inst.vm == "active":
            op = rng.choices(
                (
                    "stop",
                    "pause",
                    "suspend",
                    "rescue",
                    "snapshot",
                    "rebuild",
                    "reboot_soft",
                    "reboot_hard",
                    "lock",
                    "delete",
                ),
                (10, 8, 6, 5, 6, 5, 8, 5, 4, 7),
            )[0]
        elif inst.vm == "stopped":
            op = rng.choices(
                ("start", "rebuild", "rescue", "snapshot", "delete"), (10, 3, 2, 2, 4)
            )[0]
        elif inst.vm == "paused":
            op = rng.choices(("unpause", "delete"), (8, 1))[0]
        elif inst.vm == "suspended":
            op = rng.choices(("resume", "delete"), (8, 1))[0]
        elif inst.vm == "rescued":
            op = rng.choices(("unrescue", "delete"), (8, 1))[0]
        else:  # error
            op = "delete"
        if op == "rebuild" and inst.vm not in ("active", "stopped"):
            op = "delete"
        inst.busy = True
        self.ops[op] += 1
        return self._wrap(inst, self.op_action(inst, op))

    @staticmethod
    def _wrap(inst: _Instance, gen: OpGen) -> OpGen:
        """Mark the instance idle again when its operation ends."""
        try:
            yield from gen
        finally:
            inst.busy = False


def generate(
    path: Path, lines: int, *, seed: int = 0, style: str = "2016", layout: str = "oslo"
) -> dict:
    """Write a Nova log corpus of about `lines` lines into directory `path`.

    Returns {"files", "lines", "instances", "operations", "levels", "seconds"}; in
    "operations" `boot_failed` is a subset of `boot`, and `locked_409` counts the
    non-admin actions refused on locked servers (not counted under their own name).
    """
    if style not in START:
        raise ValueError(f"style must be '2016' or 'current', not {style!r}")
    if layout not in ("oslo", "journald"):
        raise ValueError(f"layout must be 'oslo' or 'journald', not {layout!r}")
    t_start = time.perf_counter()
    rng = random.Random(seed)
    w = _Writer(Path(path), style, layout, rng)
    cloud = _Cloud(w, rng)
    # Parked operations: (wake time, tie-breaker, generator); ready ones run in turn.
    parked: list[tuple[float, int, OpGen]] = []
    ready: list[OpGen] = []
    tie = 0
    concurrency = 3
    noise_p = 0.3
    draining = False
    active = 0

    def advance(gen: OpGen) -> None:
        nonlocal tie, active
        try:
            step = next(gen)
        except StopIteration:
            active -= 1
            return
        tie += 1
        heapq.heappush(parked, (w.clock + (step or 0.0), tie, gen))

    pick: Callable[[], float] = rng.random
    loops = 0
    while True:
        loops += 1
        if w.count >= lines and not draining:
            draining = True
        while parked and (parked[0][0] <= w.clock or (draining and not ready)):
            wake, _, gen = heapq.heappop(parked)
            w.clock = max(w.clock, wake)
            ready.append(gen)
        if not draining and active < concurrency:
            gen = cloud.next_op()
            if gen is not None:
                active += 1
                ready.append(gen)
        if ready and (draining or pick() >= noise_p):
            advance(ready.pop(0) if pick() < 0.7 else ready.pop(rng.randrange(len(ready))))
        elif not draining:
            cloud.noise()
            w.tick(0.05, 1.5)
        elif not parked:
            break
        if loops & 0x3FF == 0:
            w.flush()
    w.close()
    ops = {k: v for k, v in sorted(cloud.ops.items()) if v}
    return {
        "files": [str(p) for p in w.paths],
        "lines": w.count,
        "instances": len(cloud.instances),
        "operations": ops,
        "levels": dict(w.level_count),
        "seconds": round(time.perf_counter() - t_start, 3),
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description="Write a synthetic multi-service Nova log corpus.")
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--lines", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--style", choices=("2016", "current"), default="2016")
    ap.add_argument("--layout", choices=("oslo", "journald"), default="oslo")
    args = ap.parse_args(argv)
    stats = generate(args.outdir, args.lines, seed=args.seed, style=args.style, layout=args.layout)
    rate = stats["lines"] / max(stats["seconds"], 1e-9)
    print(
        f"wrote {stats['lines']:,} lines in {stats['seconds']:.2f}s ({rate:,.0f} lines/s), "
        f"{stats['instances']} instances, {sum(stats['operations'].values())} operations"
    )
    for f in stats["files"]:
        print(f"  {f}")
    print("  operations: " + ", ".join(f"{k}={v}" for k, v in stats["operations"].items()))
    print("  levels: " + ", ".join(f"{k}={v}" for k, v in sorted(stats["levels"].items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
