"""A fake hypervisor that behaves like libvirt toward nova-compute.

Domains live in memory and in ``<state_dir>/domains.journal``, so that they outlive a
nova-compute that stops or is killed, as libvirt's domains do.  Unlike Nova's own
``nova/virt/fake.py`` (reference section 7) this driver keeps the power states libvirt
reports (paused 3, shutdown 4 after suspend), emits libvirt's lifecycle events (boot:
Started, Paused, Resumed; suspend: Paused, Stopped; …), keeps each instance's disk as a
real file under ``<state_dir>/instances/<uuid>/`` and runs — in Python, logging them as
processutils would — the disk commands of the libvirt driver: ``qemu-img create`` on the
image's backing file, ``qemu-img convert`` for snapshots, ``mv <dir> <dir>_del`` before
deleting files (2016).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
import time
import uuid as uuidlib
from pathlib import Path

from analyzer.replay.drivers.base import POWER, Driver, DriverError

__all__ = ["FakeDriver"]

_LIBVIRT = "nova.virt.libvirt.driver"
_PROCESSUTILS = "oslo_concurrency.processutils"


class FakeDriver(Driver):
    """In-memory domains, real disk files, libvirt's events and log lines."""

    name = "fake"
    capabilities = {"has_imagecache": True, "supports_recreate": True, "supports_migrate_to_same_host": True}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instances_path = Path(self.state_dir) / "instances"
        self.base_path = self.instances_path / "_base"
        self.base_path.mkdir(parents=True, exist_ok=True)
        self._journal_path = Path(self.state_dir) / "domains.journal"
        self._domains: dict[str, int] = self._load_domains()
        self._lock = threading.Lock()
        self._journal = self._journal_path.open("a", encoding="utf-8")

    def _load_domains(self) -> dict[str, int]:
        """The domains a previous run left: the journal replayed, then written back compacted."""
        domains: dict[str, int] = {}
        try:
            lines = self._journal_path.read_text(encoding="utf-8").splitlines()
        except OSError:
            lines = []
        for line in lines:
            uuid, _, power = line.partition(" ")
            if power == "-":
                domains.pop(uuid, None)
            elif power.isdigit():
                domains[uuid] = int(power)
            # else: the last line, cut short when the process was killed
        self._journal_path.write_text("".join(f"{uuid} {power}\n" for uuid, power in domains.items()),
                                      encoding="utf-8")
        return domains

    def _save_domain(self, uuid: str) -> None:
        """Append one domain's power state (``-`` when it is gone) to the journal, under the lock.

        One appended line per change: rewriting a file per change cost more than the change.
        """
        power = self._domains.get(uuid)
        self._journal.write(f"{uuid} {'-' if power is None else power}\n")
        self._journal.flush()  # to the OS: it outlives a killed process

    def close(self) -> None:
        self._journal.close()

    # -- helpers -------------------------------------------------------------------------------
    def _set(self, uuid: str, power: int) -> None:
        with self._lock:
            self._domains[uuid] = power
            self._save_domain(uuid)

    def get_power_state(self, uuid: str) -> int:
        with self._lock:
            return self._domains.get(uuid, POWER["pending"])

    def _execute(self, context, command: str, action=None) -> None:
        """Log a command as oslo.concurrency's processutils does, doing its effect in Python."""
        self.log.debug(_PROCESSUTILS, f"Running cmd (subprocess): {command}", context, func="execute")
        started = time.monotonic()
        try:
            if action is not None:
                action()
        except OSError as error:
            raise DriverError(f"{command}: {error}") from error
        seconds = time.monotonic() - started
        if self.timing is not None:
            seconds = self.timing.wait("command", seconds)
        self.log.debug(_PROCESSUTILS, f'CMD "{command}" returned: 0 in {seconds:0.3f}s', context,
                       func="execute")

    def _qemu_img_info(self, context, path: Path) -> None:
        if self.style == "2016":
            command = (f"/usr/bin/python -m oslo_concurrency.prlimit --as=1073741824 --cpu=2 -- "
                       f"env LC_ALL=C LANG=C qemu-img info {path}")
        else:
            command = (f"/usr/bin/python3 -m oslo_concurrency.prlimit --as=2147483648 --cpu=30 -- "
                       f"env LC_ALL=C LANG=C qemu-img info {path} --force-share --output=json")
        self._execute(context, command)

    def _base_file(self, context, image: dict) -> Path:
        base = self.base_path / hashlib.sha1(str(image["id"]).encode()).hexdigest()
        if not base.exists():
            base.write_bytes(b"fake image " + str(image["id"]).encode())
        self._qemu_img_info(context, base)
        return base

    def _create_disk(self, context, instance: dict, image: dict, name: str = "disk") -> Path:
        base = self._base_file(context, image)
        directory = self.instances_path / instance["uuid"]
        directory.mkdir(parents=True, exist_ok=True)
        disk = directory / name
        size = int(instance.get("root_gb") or 1) * 1024 ** 3

        def create() -> None:
            disk.write_text(f"qcow2 backing_file={base}\n")

        if self.style == "2016":
            # 13 grows the disk with `qemu-img resize` only when the flavor's disk is larger than
            # the image's virtual size; the replayed images always fit, as cirros does in devstack.
            self._execute(context, f"qemu-img create -f qcow2 -o backing_file={base} {disk}", create)
        else:
            self._execute(context, f"env LC_ALL=C LANG=C qemu-img create -f qcow2 -o "
                                   f"backing_file={base},backing_fmt=raw {disk} {size}", create)
        return disk

    def _destroy_domain(self, context, instance: dict) -> None:
        if self.timing is not None:
            self.timing.wait("destroy", 0.0)
        self._set(instance["uuid"], POWER["shutdown"])
        self.log.info(_LIBVIRT, "Instance destroyed successfully.", context, instance["uuid"])

    def _clean_shutdown(self, context, instance: dict) -> None:
        power = self.get_power_state(instance["uuid"])
        if power != POWER["running"] and power != POWER["paused"]:
            self.log.info(_LIBVIRT, "Instance already shutdown.", context, instance["uuid"])
            return
        self.log.debug(_LIBVIRT, f"Shutting down instance from state {power}", context, instance["uuid"],
                       func="_clean_shutdown")
        waited = round(self.timing.wait("shutdown", 0.0)) if self.timing else 0
        self._set(instance["uuid"], POWER["shutdown"])
        self.log.info(_LIBVIRT, f"Instance shutdown successfully after {waited} seconds.", context,
                      instance["uuid"])

    def _launch(self, instance: dict, paused: bool = False) -> None:
        uuid = instance["uuid"]
        self._set(uuid, POWER["running"])
        self.emit_event(uuid, "Started")
        if paused:
            self._set(uuid, POWER["paused"])
            self.emit_event(uuid, "Paused")
            self._set(uuid, POWER["running"])
            self.emit_event(uuid, "Resumed")

    # -- operations ----------------------------------------------------------------------------
    def spawn(self, context, instance: dict, image: dict, wait_for_vifs: bool = True) -> None:
        uuid = instance["uuid"]
        self.log.info(_LIBVIRT, "Creating image" if self.style == "2016" else "Creating image(s)",
                      context, uuid)
        self._create_disk(context, instance, image)
        if wait_for_vifs:
            # Launched paused until Neutron's network-vif-plugged event: Started, Paused, Resumed.
            port = uuidlib.uuid5(uuidlib.NAMESPACE_URL, uuid)
            self.log.debug("nova.compute.manager", f"Preparing to wait for external event "
                           f"network-vif-plugged-{port}", context, uuid, func="prepare_for_instance_event")
        self._launch(instance, paused=wait_for_vifs)
        self.log.info(_LIBVIRT, "Instance spawned successfully.", None, uuid)

    def destroy(self, context, instance: dict, destroy_disks: bool = True) -> None:
        uuid = instance["uuid"]
        self._destroy_domain(context, instance)
        with self._lock:
            self._domains.pop(uuid, None)
            self._save_domain(uuid)
        if not destroy_disks:
            return
        directory = self.instances_path / uuid
        target = Path(f"{directory}_del")
        if self.style == "2016":
            self._execute(context, f"mv {directory} {target}",
                          lambda: directory.exists() and os.replace(directory, target))
        elif directory.exists():
            os.replace(directory, target)
        self.log.info(_LIBVIRT, f"Deleting instance files {target}", context, uuid)
        shutil.rmtree(target, ignore_errors=True)
        self.log.info(_LIBVIRT, f"Deletion of {target} complete", context, uuid)

    def power_off(self, context, instance: dict) -> None:
        self._clean_shutdown(context, instance)
        self._destroy_domain(context, instance)
        self.emit_event(instance["uuid"], "Stopped")

    def _hard_reboot(self, context, instance: dict) -> None:
        self._destroy_domain(context, instance)
        disk = self.instances_path / instance["uuid"] / "disk"
        self._qemu_img_info(context, disk)
        self._launch(instance)
        self.log.info(_LIBVIRT, "Instance rebooted successfully.", context, instance["uuid"])

    def power_on(self, context, instance: dict) -> None:
        self._hard_reboot(context, instance)

    def reboot(self, context, instance: dict, reboot_type: str) -> None:
        if reboot_type == "HARD":
            self._hard_reboot(context, instance)
            return
        uuid = instance["uuid"]
        self._set(uuid, POWER["shutdown"])
        self.log.info(_LIBVIRT, "Instance shutdown successfully.", context, uuid)
        self._launch(instance)
        self.log.info(_LIBVIRT, "Instance running successfully.", context, uuid)
        self.log.info(_LIBVIRT, "Instance soft rebooted successfully.", context, uuid)

    def pause(self, context, instance: dict) -> None:
        self._set(instance["uuid"], POWER["paused"])
        self.emit_event(instance["uuid"], "Paused")

    def unpause(self, context, instance: dict) -> None:
        self._set(instance["uuid"], POWER["running"])
        self.emit_event(instance["uuid"], "Resumed")

    def suspend(self, context, instance: dict) -> None:
        # virDomainManagedSave: qemu pauses the vCPUs, saves, the domain is SHUTOFF (power 4).
        self._set(instance["uuid"], POWER["paused"])
        self.emit_event(instance["uuid"], "Paused")
        save = self.instances_path / instance["uuid"] / "managed.save"
        if save.parent.exists():
            save.write_text("saved memory state\n")
        self._set(instance["uuid"], POWER["shutdown"])
        self.emit_event(instance["uuid"], "Stopped")

    def resume(self, context, instance: dict) -> None:
        (self.instances_path / instance["uuid"] / "managed.save").unlink(missing_ok=True)
        self._set(instance["uuid"], POWER["running"])
        self.emit_event(instance["uuid"], "Started")
        self.emit_event(instance["uuid"], "Resumed")

    def rescue(self, context, instance: dict, image: dict) -> None:
        uuid = instance["uuid"]
        directory = self.instances_path / uuid
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "unrescue.xml").write_text(f"<domain><uuid>{uuid}</uuid></domain>\n")
        if self.style != "2016":
            self.log.info(_LIBVIRT, "Attempting rescue", context, uuid)
        self.log.info(_LIBVIRT, "Creating image" if self.style == "2016" else "Creating image(s)",
                      context, uuid)
        self._create_disk(context, instance, image, name="disk.rescue")
        self._launch(instance)

    def unrescue(self, context, instance: dict) -> None:
        uuid = instance["uuid"]
        self._destroy_domain(context, instance)
        self._launch(instance)
        directory = self.instances_path / uuid
        for leftover in ("unrescue.xml", "disk.rescue"):
            (directory / leftover).unlink(missing_ok=True)

    def snapshot(self, context, instance: dict, image_id: str, update_task_state) -> int:
        uuid = instance["uuid"]
        disk = self.instances_path / uuid / "disk"
        snapshots = self.instances_path / "snapshots"
        snapshots.mkdir(parents=True, exist_ok=True)
        tmpdir = Path(tempfile.mkdtemp(dir=snapshots))
        out = tmpdir / uuidlib.uuid4().hex
        power = self.get_power_state(uuid)
        live = self.style != "2016" and power != POWER["shutdown"]

        def copy(source: Path = disk) -> None:
            shutil.copyfile(source, out) if source.exists() else out.write_text("")

        if live:
            self.log.info(_LIBVIRT, "Beginning live snapshot process", context, uuid)
            update_task_state("image_pending_upload", "image_snapshot")
            delta = Path(f"{out}.delta")
            base = (disk.read_text().split("backing_file=", 1)[-1].strip() if disk.exists() else "")
            self._execute(context, f"env LC_ALL=C LANG=C qemu-img create -f qcow2 -o backing_file={base},"
                                   f"backing_fmt=raw,cluster_size=65536 {delta} "
                                   f"{int(instance.get('root_gb') or 1) * 1024 ** 3}",
                          lambda: delta.write_text(f"qcow2 backing_file={base}\n"))
            self.log.info(_LIBVIRT, "Skipping quiescing instance: QEMU guest agent is not enabled.",
                          context, uuid)
            self._execute(context, f"qemu-img convert -t none -O qcow2 -f qcow2 {delta} {out}",
                          lambda: copy(delta))
        else:
            running = power in (POWER["running"], POWER["paused"])
            if running:
                self._set(uuid, POWER["paused"])
                self.emit_event(uuid, "Paused")
                self._set(uuid, POWER["shutdown"])
            self.log.info(_LIBVIRT, "Beginning cold snapshot process", context, uuid)
            update_task_state("image_pending_upload", "image_snapshot")
            if self.style == "2016":
                command = f"qemu-img convert -f qcow2 -O qcow2 {disk} {out}"
            else:
                command = f"qemu-img convert -t none -O qcow2 -f qcow2 {disk} {out}"
            self._execute(context, command, copy)
            if running:
                # The domain is re-created from the managed save: Started, then Resumed.
                self._set(uuid, POWER["running"])
                self.emit_event(uuid, "Started")
                self.emit_event(uuid, "Resumed")
                if power == POWER["paused"]:
                    self._set(uuid, POWER["paused"])
        self.log.info(_LIBVIRT, "Snapshot extracted, beginning image upload", context, uuid)
        update_task_state("image_uploading", "image_pending_upload")
        size = out.stat().st_size if out.exists() else 0
        shutil.rmtree(tmpdir, ignore_errors=True)
        self.log.info(_LIBVIRT, "Snapshot image upload complete", context, uuid)
        return size
