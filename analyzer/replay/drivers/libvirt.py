"""The libvirt driver of mini-Nova (``--driver libvirt``): real libvirt domains, real qcow2 disks.

Through libvirt-python, each operation makes the libvirt calls Nova's libvirt driver makes
(reference section 8): boot defines the domain from its XML (also written to ``libvirt.xml``
in the instance directory) and launches it paused until the network is plugged, then resumes
it; pause/unpause are ``suspend``/``resume``; suspend is ``managedSave`` and resume starts the
domain again (libvirt restores the saved state); stop is a clean ``shutdown`` then
``destroy``; start and hard reboot are destroy, define and create; soft reboot is shutdown and
create; rescue keeps the domain's XML in ``unrescue.xml`` and boots a new definition with the
rescue disk as vda and the instance's disk as vdb; delete destroys, removes the instance files
and undefines.  Disks are made by ``qemu-img`` (``disks.py``); lifecycle lines come from
libvirt's own domain events (``events.py``).

By default each compute host gets its own private host of libvirt's test driver
(``test:///<state>/<host>/libvirt-host.xml``: in-process, no daemon, domains kept in memory;
hosts do not share domains).  ``uri`` names a real hypervisor, e.g. ``qemu:///system``.

Where the test driver does less than QEMU, the driver says so here and does the least:

- ``createWithFlags(VIR_DOMAIN_START_PAUSED)`` is refused ("unsupported flags"): the domain is
  created, then suspended (both real calls, with their real Started and Paused events).
- ``managedSave`` emits only STOPPED; QEMU first pauses the vCPUs (SUSPENDED -> ``VM Paused``).
  On the test driver the driver reports that Paused itself, just before the call.
- Starting a domain from its managed save emits only STARTED; QEMU then resumes the vCPUs
  (RESUMED -> ``VM Resumed``).  On the test driver the driver reports that Resumed itself.
- Block jobs (``blockRebase`` for a live snapshot) are not supported: the copy the job would
  make into the delta is made by copying the disk's overlay file.
"""

from __future__ import annotations

import contextlib
import shutil
import time
import uuid as uuidlib
from pathlib import Path

import libvirt

from analyzer.replay.drivers.base import POWER, Driver, DriverError
from analyzer.replay.drivers.disks import Disks
from analyzer.replay.drivers.domain import guest_xml, rescue_xml
from analyzer.replay.drivers.events import NOVA_LIFECYCLE_DELAY, LifecycleEvents, start_event_loop
from analyzer.replay.drivers.images import ImageStore

__all__ = ["LibvirtDriver"]

_LIBVIRT = "nova.virt.libvirt.driver"

# nova/virt/libvirt/guest.py LIBVIRT_POWER_STATE: SHUTOFF is "shutdown" (4), BLOCKED "running".
_POWER = {
    libvirt.VIR_DOMAIN_NOSTATE: POWER["pending"],
    libvirt.VIR_DOMAIN_RUNNING: POWER["running"],
    libvirt.VIR_DOMAIN_BLOCKED: POWER["running"],
    libvirt.VIR_DOMAIN_PAUSED: POWER["paused"],
    libvirt.VIR_DOMAIN_SHUTDOWN: POWER["shutdown"],
    libvirt.VIR_DOMAIN_SHUTOFF: POWER["shutdown"],
    libvirt.VIR_DOMAIN_CRASHED: POWER["crashed"],
    libvirt.VIR_DOMAIN_PMSUSPENDED: POWER["suspended"],
}
_HOST_XML = """<node>
  <cpu><mhz>2400</mhz><model>x86_64</model><nodes>1</nodes><sockets>1</sockets><cores>{vcpus}</cores>
    <threads>1</threads><active>{vcpus}</active></cpu>
  <memory>{memory_kib}</memory>
</node>
"""
_SHUTDOWN_TIMEOUT = 60   # CONF.shutdown_timeout
_SHUTDOWN_RETRY = 10     # the interval at which Nova re-sends the ACPI shutdown


class LibvirtDriver(Driver):
    """Domains on a libvirt host (its test driver by default), disks by qemu-img."""

    name = "libvirt"
    capabilities = {"has_imagecache": True, "supports_recreate": True,
                    "supports_migrate_to_same_host": False}

    def __init__(self, *args, uri: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        state = Path(self.state_dir).resolve()
        state.mkdir(parents=True, exist_ok=True)
        if uri is None:
            node = state / "libvirt-host.xml"
            node.write_text(_HOST_XML.format(vcpus=8, memory_kib=16048 * 1024))
            uri = f"test://{node}"
        self.uri = uri
        self.instances_path = state / "instances"
        # Glance's file store, shared by the hosts of one mini-Nova (their state dirs' parent).
        self.disks = Disks(self.instances_path, ImageStore(state.parent / "images"), self.style, self.log)
        start_event_loop()
        try:
            self.connection = libvirt.open(uri)
        except libvirt.libvirtError as error:
            raise DriverError(f"cannot open libvirt at {uri}: {error.get_error_message()}") from error
        self.is_test = self.connection.getType() == "TEST"
        self.domain_type = "test" if self.is_test else "qemu"
        delay = NOVA_LIFECYCLE_DELAY if self.timing is not None else 0.0
        # Several hosts may share one hypervisor (--libvirt-uri): a host owns the domains whose
        # instance directory it holds.
        self.events = LifecycleEvents(self.connection, self.emit_event, self.log, stopped_delay=delay,
                                      owns=lambda uuid: self.disks.instance_dir(uuid).exists())

    def close(self) -> None:
        self.events.close()
        with contextlib.suppress(libvirt.libvirtError):
            self.connection.close()

    # -- domains -------------------------------------------------------------------------------
    def _domain(self, uuid: str) -> libvirt.virDomain | None:
        try:
            return self.connection.lookupByUUIDString(uuid)
        except libvirt.libvirtError:
            return None

    def _require(self, uuid: str) -> libvirt.virDomain:
        domain = self._domain(uuid)
        if domain is None:
            raise DriverError(f"no domain for instance {uuid} on {self.uri}")
        return domain

    def get_power_state(self, uuid: str) -> int:
        domain = self._domain(uuid)
        if domain is None:
            return POWER["pending"]
        try:
            return _POWER.get(domain.state()[0], POWER["pending"])
        except libvirt.libvirtError:
            return POWER["pending"]

    @contextlib.contextmanager
    def _libvirt(self, what: str):
        try:
            yield
        except libvirt.libvirtError as error:
            raise DriverError(f"{what}: {error.get_error_message()}") from error

    def _xml_path(self, uuid: str) -> Path:
        return self.disks.instance_dir(uuid) / "libvirt.xml"

    def _guest_xml(self, context, instance: dict, xml: str) -> str:
        self.log.debug(_LIBVIRT, f"End _get_guest_xml xml={xml.rstrip()}", context, instance["uuid"],
                       func="_get_guest_xml")
        return xml

    def _launch(self, uuid: str, xml: str, paused: bool = False) -> libvirt.virDomain:
        """defineXML, then createWithFlags (paused when asked); returns the running domain."""
        with self._libvirt("defineXML"):
            domain = self.connection.defineXML(xml)
        restoring = bool(domain.hasManagedSaveImage(0))
        with self._libvirt("createWithFlags"):
            if paused and self.is_test:  # START_PAUSED is refused by the test driver
                with self.events.expect(uuid, "Started", "Paused"):
                    domain.create()
                    domain.suspend()
            else:
                flags = libvirt.VIR_DOMAIN_START_PAUSED if paused else 0
                with self.events.expect(uuid, "Started"):
                    domain.createWithFlags(flags)
        if restoring and not paused and self.is_test:  # QEMU resumes the restored vCPUs; the
            self.events.deliver(uuid, "Resumed")           # test driver does not say so
        return domain

    def _destroy(self, context, instance: dict) -> None:
        """virDomainDestroy; Nova logs the line even when the domain was already off."""
        uuid = instance["uuid"]
        if self.timing is not None:
            self.timing.wait("destroy", 0.0)
        domain = self._domain(uuid)
        if domain is not None and domain.isActive():
            with self._libvirt("destroy"), self.events.expect(uuid, "Stopped"):
                domain.destroy()
        self.log.info(_LIBVIRT, "Instance destroyed successfully.", context, uuid)

    def _clean_shutdown(self, context, instance: dict) -> None:
        uuid = instance["uuid"]
        power = self.get_power_state(uuid)
        domain = self._domain(uuid)
        if domain is None or power not in (POWER["running"], POWER["paused"]):
            self.log.info(_LIBVIRT, "Instance already shutdown.", context, uuid)
            return
        self.log.debug(_LIBVIRT, f"Shutting down instance from state {power}", context, uuid,
                       func="_clean_shutdown")
        started = time.monotonic()
        with self._libvirt("shutdown"), self.events.expect(uuid, "Stopped"):
            domain.shutdown()
        for waited in range(_SHUTDOWN_TIMEOUT):
            if self.get_power_state(uuid) == POWER["shutdown"]:
                if self.timing is not None:
                    waited = round(self.timing.wait("shutdown", time.monotonic() - started))
                self.log.info(_LIBVIRT, f"Instance shutdown successfully after {waited} seconds.", context,
                              uuid)
                return
            if waited and waited % _SHUTDOWN_RETRY == 0:
                self.log.debug(_LIBVIRT, f"Instance in state {self.get_power_state(uuid)} after {waited} "
                               "seconds - resending shutdown", context, uuid, func="_clean_shutdown")
                with self._libvirt("shutdown"):
                    domain.shutdown()
            time.sleep(1)
        self.log.info(_LIBVIRT, f"Instance failed to shutdown in {_SHUTDOWN_TIMEOUT} seconds.", context,
                      uuid)

    def _save(self, uuid: str) -> None:
        """virDomainManagedSave(0): the domain is saved to disk and SHUTOFF."""
        domain = self._require(uuid)
        if self.is_test:  # QEMU pauses the vCPUs first (VM Paused); the test driver does not say so
            self.events.deliver(uuid, "Paused")
        with self._libvirt("managedSave"), self.events.expect(uuid, "Stopped"):
            domain.managedSave(0)

    # -- boot and delete -----------------------------------------------------------------------
    def spawn(self, context, instance: dict, image: dict, wait_for_vifs: bool = True) -> None:
        uuid = instance["uuid"]
        self.log.info(_LIBVIRT, "Creating image" if self.style == "2016" else "Creating image(s)",
                      context, uuid)
        directory = self.disks.instance_dir(uuid)
        disk = self.disks.create(context, instance, image)
        xml = self._guest_xml(context, instance,
                              guest_xml(instance, directory, self.domain_type, [(disk, "vda")]))
        self._xml_path(uuid).write_text(xml)
        if wait_for_vifs:
            # Launched paused until Neutron's network-vif-plugged event, then resumed.
            port = uuidlib.uuid5(uuidlib.NAMESPACE_URL, uuid)
            self.log.debug("nova.compute.manager", f"Preparing to wait for external event "
                           f"network-vif-plugged-{port}", context, uuid, func="prepare_for_instance_event")
        domain = self._launch(uuid, xml, paused=wait_for_vifs)
        if wait_for_vifs:
            with self._libvirt("resume"), self.events.expect(uuid, "Resumed"):
                domain.resume()
        self.log.info(_LIBVIRT, "Instance spawned successfully.", None, uuid)

    def destroy(self, context, instance: dict, destroy_disks: bool = True) -> None:
        uuid = instance["uuid"]
        self._destroy(context, instance)
        if destroy_disks:
            self.disks.delete_instance_files(
                context, uuid, lambda message: self.log.info(_LIBVIRT, message, context, uuid))
        domain = self._domain(uuid)
        if domain is not None:
            with self._libvirt("undefine"):
                domain.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE)

    # -- power ---------------------------------------------------------------------------------
    def power_off(self, context, instance: dict) -> None:
        self._clean_shutdown(context, instance)
        self._destroy(context, instance)

    def _hard_reboot(self, context, instance: dict) -> None:
        uuid = instance["uuid"]
        self._destroy(context, instance)
        self.disks.info(context, self.disks.instance_dir(uuid) / "disk")
        path = self._xml_path(uuid)
        if path.exists():
            xml = path.read_text()
        else:
            directory = self.disks.instance_dir(uuid)
            xml = guest_xml(instance, directory, self.domain_type, [(directory / "disk", "vda")])
            path.write_text(xml)
        self._launch(uuid, xml)
        self.log.info(_LIBVIRT, "Instance rebooted successfully.", context, uuid)

    def power_on(self, context, instance: dict) -> None:
        self._hard_reboot(context, instance)

    def reboot(self, context, instance: dict, reboot_type: str) -> None:
        uuid = instance["uuid"]
        domain = self._domain(uuid)
        if reboot_type == "HARD" or domain is None or self.get_power_state(uuid) != POWER["running"]:
            if reboot_type != "HARD":
                self.log.warning(_LIBVIRT, "Failed to soft reboot instance. Trying hard reboot.", context,
                                 uuid)
            self._hard_reboot(context, instance)
            return
        with self._libvirt("shutdown"), self.events.expect(uuid, "Stopped"):
            domain.shutdown()
        self.log.info(_LIBVIRT, "Instance shutdown successfully.", context, uuid)
        with self._libvirt("createWithFlags"), self.events.expect(uuid, "Started"):
            domain.createWithFlags(0)
        self.log.info(_LIBVIRT, "Instance running successfully.", context, uuid)
        self.log.info(_LIBVIRT, "Instance soft rebooted successfully.", context, uuid)

    def pause(self, context, instance: dict) -> None:
        uuid = instance["uuid"]
        domain = self._require(uuid)
        with self._libvirt("suspend"), self.events.expect(uuid, "Paused"):
            domain.suspend()

    def unpause(self, context, instance: dict) -> None:
        uuid = instance["uuid"]
        domain = self._require(uuid)
        with self._libvirt("resume"), self.events.expect(uuid, "Resumed"):
            domain.resume()

    def suspend(self, context, instance: dict) -> None:
        self._save(instance["uuid"])

    def resume(self, context, instance: dict) -> None:
        uuid = instance["uuid"]
        self._launch(uuid, self._xml_path(uuid).read_text())

    # -- rescue --------------------------------------------------------------------------------
    def rescue(self, context, instance: dict, image: dict) -> None:
        uuid = instance["uuid"]
        directory = self.disks.instance_dir(uuid)
        domain = self._domain(uuid)
        original = domain.XMLDesc(0) if domain is not None else self._xml_path(uuid).read_text()
        (directory / "unrescue.xml").write_text(original)
        if self.style != "2016":
            self.log.info(_LIBVIRT, "Attempting rescue", context, uuid)
        self.log.info(_LIBVIRT, "Creating image" if self.style == "2016" else "Creating image(s)",
                      context, uuid)
        self.disks.create(context, instance, image, name="disk.rescue", grow=False)
        xml = self._guest_xml(context, instance, rescue_xml(instance, directory, self.domain_type))
        self._xml_path(uuid).write_text(xml)
        self._destroy(context, instance)
        self._launch(uuid, xml)

    def unrescue(self, context, instance: dict) -> None:
        uuid = instance["uuid"]
        directory = self.disks.instance_dir(uuid)
        saved = directory / "unrescue.xml"
        xml = saved.read_text()
        self._destroy(context, instance)
        self._xml_path(uuid).write_text(xml)
        self._launch(uuid, xml)
        saved.unlink()
        for leftover in directory.glob("*.rescue"):
            leftover.unlink()

    # -- snapshot ------------------------------------------------------------------------------
    def snapshot(self, context, instance: dict, image_id: str, update_task_state) -> int:
        uuid = instance["uuid"]
        disk = self.disks.instance_dir(uuid) / "disk"
        out = self.disks.snapshot_target()
        power = self.get_power_state(uuid)
        # Mitaka disables live snapshots (workarounds.disable_libvirt_livesnapshot); later releases
        # snapshot live unless the domain is shut down.
        live = self.style != "2016" and power != POWER["shutdown"]
        try:
            if live:
                self.log.info(_LIBVIRT, "Beginning live snapshot process", context, uuid)
                update_task_state("image_pending_upload", "image_snapshot")
                delta = out.with_name(out.name + ".delta")
                self.disks.create_delta(context, disk, delta)
                self.log.info(_LIBVIRT, "Skipping quiescing instance: QEMU guest agent is not enabled.",
                              context, uuid)
                self._block_copy(uuid, disk, delta)
                self.disks.extract_delta(context, delta, out)
            else:
                running = power in (POWER["running"], POWER["paused"])
                if running:
                    self._save(uuid)
                self.log.info(_LIBVIRT, "Beginning cold snapshot process", context, uuid)
                update_task_state("image_pending_upload", "image_snapshot")
                self.disks.extract_cold(context, disk, out)
                if running:  # the domain is started again from its managed save
                    self._launch(uuid, self._xml_path(uuid).read_text(), paused=power == POWER["paused"])
            self.log.info(_LIBVIRT, "Snapshot extracted, beginning image upload", context, uuid)
            update_task_state("image_uploading", "image_pending_upload")
            size = self.disks.store.upload(image_id, out)
            self.log.info(_LIBVIRT, "Snapshot image upload complete", context, uuid)
            return size
        finally:
            shutil.rmtree(out.parent, ignore_errors=True)

    def _block_copy(self, uuid: str, disk: Path, delta: Path) -> None:
        """Copy the disk's top layer into ``delta`` (blockRebase copy|reuse_ext|shallow)."""
        if self.is_test:  # the test driver has no block jobs
            shutil.copyfile(disk, delta)
            return
        domain = self._require(uuid)
        with self._libvirt("blockRebase"):
            xml = domain.XMLDesc(0)
            if domain.isPersistent():
                domain.undefine()  # a block copy needs a transient domain
            try:
                flags = (libvirt.VIR_DOMAIN_BLOCK_REBASE_COPY | libvirt.VIR_DOMAIN_BLOCK_REBASE_REUSE_EXT
                         | libvirt.VIR_DOMAIN_BLOCK_REBASE_SHALLOW)
                domain.blockRebase(str(disk), str(delta), 0, flags)
                while True:
                    job = domain.blockJobInfo(str(disk), 0)
                    if not job or job.get("cur") == job.get("end"):
                        break
                    time.sleep(0.5)
                domain.blockJobAbort(str(disk), 0)
            finally:
                self.connection.defineXML(xml)
