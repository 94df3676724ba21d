"""mini-Nova with --driver libvirt: real libvirt domains (the test driver), real qcow2 files.

The round trip of every operation through `novatrace check` runs in test_round_trip.py (its
fixture replays with both drivers); here: what a user would look at on the host — the
domains libvirt holds, the disk files and what `qemu-img info` says of them, the image store,
and the lifecycle lines coming from libvirt's own events.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import threading
import time
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import libvirt
import pytest

from .conftest import boot, settle

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from analyzer.replay import DEFAULT_IMAGE_ID, MiniNova
    from analyzer.replay.drivers.events import LifecycleEvents, start_event_loop

ROOT = Path(__file__).resolve().parents[2]
GIB = 1024 ** 3


def qemu_img_info(path: Path) -> dict:
    out = subprocess.run(["qemu-img", "info", "--force-share", "--output=json", str(path)], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def action(client, server_id: str, body: dict) -> dict:
    response = client.post(f"/v2.1/servers/{server_id}/action", json=body)
    assert response.status_code in (200, 202), response.text
    return settle(client, server_id)


@pytest.fixture(scope="module", params=["2016", "current"])
def nova(request, tmp_path_factory):
    directory = tmp_path_factory.mktemp(f"libvirt-{request.param}")
    with MiniNova(log_dir=directory / "logs", state_dir=directory / "state", style=request.param,
                  driver="libvirt") as running:
        yield running


@pytest.fixture(scope="module")
def client(nova):
    with nova.client() as http:
        yield http


def host(nova):
    return nova.managers["compute1"].driver


def compute_log(nova) -> str:
    return (nova.logs.dir / "nova-compute.log").read_text()


def domain_disks(domain) -> dict[str, str]:
    """target dev -> source file, from the domain's live XML."""
    root = ET.fromstring(domain.XMLDesc(0))
    return {disk.find("target").get("dev"): disk.find("source").get("file")
            for disk in root.iter("disk")}


def test_boot_defines_a_running_domain_on_a_qcow2_overlay_of_the_cached_base(nova, client):
    server_id = boot(client, "disks")
    driver = host(nova)
    domain = driver.connection.lookupByUUIDString(server_id)
    assert domain.state()[0] == libvirt.VIR_DOMAIN_RUNNING
    directory = driver.instances_path / server_id
    disk = directory / "disk"
    assert domain_disks(domain) == {"vda": str(disk)}
    assert ET.fromstring((directory / "libvirt.xml").read_text()).find("uuid").text == server_id

    base = driver.instances_path / "_base" / hashlib.sha1(DEFAULT_IMAGE_ID.encode()).hexdigest()
    info = qemu_img_info(disk)
    assert info["format"] == "qcow2"
    assert info["backing-filename"] == str(base)
    assert info["backing-filename-format"] == "raw"
    assert info["virtual-size"] == 1 * GIB  # flavor 1: root_gb 1
    assert qemu_img_info(base)["format"] == "raw"

    # What the log says was run is what made these files.
    log = compute_log(nova)
    create = f"qemu-img create -f qcow2 -o backing_file={base},backing_fmt=raw {disk}"
    if nova.style == "2016":
        assert f"Running cmd (subprocess): qemu-img resize {disk} {GIB}" in log
    else:
        create = f"env LC_ALL=C LANG=C {create} {GIB}"
    assert f"Running cmd (subprocess): {create}\n" in log or f"Running cmd (subprocess): {create} " in log
    assert re.search(rf'CMD "{re.escape(create)}" returned: 0 in \d+\.\d{{3}}s', log)
    assert f"qemu-img info {base}" in log


def test_power_states_are_libvirts(nova, client):
    server_id = boot(client, "power")
    domain = host(nova).connection.lookupByUUIDString(server_id)
    assert action(client, server_id, {"pause": None})["OS-EXT-STS:power_state"] == 3
    assert domain.state()[0] == libvirt.VIR_DOMAIN_PAUSED
    action(client, server_id, {"unpause": None})
    server = action(client, server_id, {"suspend": None})
    assert (server["status"], server["OS-EXT-STS:power_state"]) == ("SUSPENDED", 4)  # managedSave: SHUTOFF
    assert domain.state()[0] == libvirt.VIR_DOMAIN_SHUTOFF and domain.hasManagedSaveImage(0)
    server = action(client, server_id, {"resume": None})
    assert (server["status"], server["OS-EXT-STS:power_state"]) == ("ACTIVE", 1)
    assert not domain.hasManagedSaveImage(0)
    assert action(client, server_id, {"os-stop": None})["OS-EXT-STS:power_state"] == 4
    assert domain.state()[0] == libvirt.VIR_DOMAIN_SHUTOFF


def test_rescue_boots_the_rescue_disk_as_vda_with_the_own_disk_as_vdb(nova, client):
    server_id = boot(client, "rescue")
    driver = host(nova)
    directory = driver.instances_path / server_id
    assert action(client, server_id, {"rescue": None})["status"] == "RESCUE"
    domain = driver.connection.lookupByUUIDString(server_id)
    assert domain.state()[0] == libvirt.VIR_DOMAIN_RUNNING
    assert domain_disks(domain) == {"vda": str(directory / "disk.rescue"), "vdb": str(directory / "disk")}
    assert qemu_img_info(directory / "disk.rescue")["format"] == "qcow2"
    original = ET.fromstring((directory / "unrescue.xml").read_text())
    assert [disk.find("target").get("dev") for disk in original.iter("disk")] == ["vda"]

    assert action(client, server_id, {"unrescue": None})["status"] == "ACTIVE"
    domain = driver.connection.lookupByUUIDString(server_id)
    assert domain_disks(domain) == {"vda": str(directory / "disk")}
    assert not (directory / "unrescue.xml").exists() and not (directory / "disk.rescue").exists()


def test_snapshot_is_a_qcow2_image_in_the_store_with_the_disks_content(nova, client):
    server_id = boot(client, "snap")
    driver = host(nova)
    response = client.post(f"/v2.1/servers/{server_id}/action", json={"createImage": {"name": "snap-1"}})
    assert response.status_code == 202
    image_id = response.headers["Location"].rsplit("/", 1)[-1]
    settle(client, server_id)
    image = client.get(f"/v2.1/images/{image_id}").json()["image"]
    stored = driver.disks.store.path(image_id)
    assert image["status"] == "ACTIVE"
    assert image["metadata"] == {"image_type": "snapshot", "instance_uuid": server_id}
    assert image["OS-EXT-IMG-SIZE:size"] == stored.stat().st_size
    info = qemu_img_info(stored)
    assert info["format"] == "qcow2" and "backing-filename" not in info  # flattened
    assert info["virtual-size"] == GIB
    disk = driver.instances_path / server_id / "disk"
    assert subprocess.run(["qemu-img", "compare", "--force-share", str(disk), str(stored)],
                          capture_output=True).returncode == 0  # same content
    assert list((driver.instances_path / "snapshots").iterdir()) == []  # temp dir removed
    source = "/disk" if nova.style == "2016" else ".delta"  # cold in 2016, live now
    assert re.search(r"Running cmd \(subprocess\): qemu-img convert (-t \w+ )?(-f qcow2 -O|-O qcow2 -f) "
                     rf"qcow2 \S+{source} ", compute_log(nova))

    # Rebuild from the snapshot: a new base from its bytes (converted to raw), a new overlay.
    client.post(f"/v2.1/servers/{server_id}/action", json={"rebuild": {"imageRef": image_id}})
    assert settle(client, server_id)["status"] == "ACTIVE"
    base = driver.instances_path / "_base" / hashlib.sha1(image_id.encode()).hexdigest()
    assert qemu_img_info(base)["format"] == "raw"
    assert qemu_img_info(disk)["backing-filename"] == str(base)


def test_snapshot_of_a_paused_instance_leaves_it_paused(nova, client):
    server_id = boot(client, "paused-snap")
    action(client, server_id, {"pause": None})
    response = client.post(f"/v2.1/servers/{server_id}/action", json={"createImage": {"name": "p"}})
    assert response.status_code == 202
    server = settle(client, server_id)
    assert (server["status"], server["OS-EXT-STS:power_state"]) == ("PAUSED", 3)
    domain = host(nova).connection.lookupByUUIDString(server_id)
    assert domain.state()[0] == libvirt.VIR_DOMAIN_PAUSED
    image_id = response.headers["Location"].rsplit("/", 1)[-1]
    assert qemu_img_info(host(nova).disks.store.path(image_id))["format"] == "qcow2"


def test_delete_destroys_undefines_and_removes_the_files(nova, client):
    server_id = boot(client, "gone")
    driver = host(nova)
    directory = driver.instances_path / server_id
    assert directory.exists()
    assert client.delete(f"/v2.1/servers/{server_id}").status_code == 204
    deadline = time.monotonic() + 20
    while client.get(f"/v2.1/servers/{server_id}").status_code != 404:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    with pytest.raises(libvirt.libvirtError):
        driver.connection.lookupByUUIDString(server_id)
    assert not directory.exists() and not Path(f"{directory}_del").exists()


def test_lifecycle_lines_come_from_libvirts_events(nova, client):
    """A domain paused behind Nova's back still gives `VM Paused (Lifecycle Event)`."""
    server_id = boot(client, "events")
    domain = host(nova).connection.lookupByUUIDString(server_id)
    line = f"[instance: {server_id}] VM Paused (Lifecycle Event)"
    booted = compute_log(nova).count(line)  # the boot's own, while the network is plugged
    domain.suspend()  # straight through libvirt: no Nova operation
    deadline = time.monotonic() + 5
    while compute_log(nova).count(line) == booted:
        assert time.monotonic() < deadline, "libvirt's SUSPENDED event did not reach the log"
        time.sleep(0.02)
    domain.resume()


def test_each_compute_host_has_its_own_private_libvirt_host(tmp_path):
    with MiniNova(log_dir=tmp_path / "logs", state_dir=tmp_path / "state", computes=2,
                  driver="libvirt") as nova, nova.client() as client:
        servers = {boot(client, f"vm{index}") for index in range(4)}
        held = {name: {domain.UUIDString() for domain in manager.driver.connection.listAllDomains()}
                for name, manager in nova.managers.items()}
        placed = {server: client.get(f"/v2.1/servers/{server}").json()["server"]["OS-EXT-SRV-ATTR:host"]
                  for server in servers}
        for name, uuids in held.items():
            assert uuids == {server for server, where in placed.items() if where == name}
        assert {manager.driver.uri for manager in nova.managers.values()} == {
            f"test://{tmp_path / 'state' / name / 'libvirt-host.xml'}" for name in nova.managers}


class _Log:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def debug(self, logger, message, *args, **kwargs) -> None:
        self.lines.append(message)


def test_stopped_waits_novas_delay_and_a_later_event_cancels_it(tmp_path):
    node = tmp_path / "host.xml"
    node.write_text("<node><cpu><mhz>2000</mhz><model>x86_64</model><nodes>1</nodes><sockets>1</sockets>"
                    "<cores>2</cores><threads>1</threads><active>2</active></cpu><memory>2097152</memory>"
                    "</node>")
    start_event_loop()
    connection = libvirt.open(f"test://{node}")
    emitted: list[tuple[float, str]] = []
    done = threading.Event()

    def emit(uuid: str, name: str) -> None:
        emitted.append((time.monotonic(), name))
        done.set()

    log = _Log()
    events = LifecycleEvents(connection, emit, log, stopped_delay=5.0)
    try:
        domain = connection.defineXML("<domain type='test'><name>delay</name><memory>65536</memory>"
                                      "<os><type>hvm</type></os></domain>")
        uuid = domain.UUIDString()
        with events.expect(uuid, "Started"):
            domain.create()
        with events.expect(uuid, "Stopped"):
            domain.destroy()
        with events.expect(uuid, "Started"):
            domain.create()  # within the delay: the pending Stopped is dropped
        assert [name for _, name in emitted] == ["Started", "Started"]
        assert log.lines == [f"Removed pending event for {uuid} due to lifecycle event"]

        done.clear()
        events.stopped_delay = 0.5
        before = time.monotonic()
        with events.expect(uuid, "Stopped"):
            domain.destroy()
        assert done.wait(5)
        assert emitted[-1][1] == "Stopped" and emitted[-1][0] - before >= 0.5
    finally:
        events.close()
        connection.close()


def test_libvirt_uri_needs_the_libvirt_driver(tmp_path):
    result = subprocess.run([sys.executable, "-m", "analyzer", "replay", "--all-operations", "--log-dir",
                             str(tmp_path), "--libvirt-uri", "qemu:///system"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip() == "novatrace: error: --libvirt-uri is for --driver libvirt"


def test_without_libvirt_python_the_driver_is_a_one_line_error(tmp_path):
    program = ("import sys; sys.modules['libvirt'] = None; from analyzer.cli import main; "
               f"sys.argv = ['novatrace', 'replay', '--all-operations', '--driver', 'libvirt', "
               f"'--log-dir', {str(tmp_path)!r}]; main()")
    result = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "--driver libvirt needs libvirt-python" in result.stderr


def test_what_this_module_did_follows_the_flows(nova):
    """Every operation above (rebuild from a snapshot, which converts it into _base, too)."""
    from analyzer.lifecycle import check

    # The clients here send no X-OpenStack-Request-ID, so nothing in the compute log names
    # its release: it is given.
    result = check([nova.logs.dir], release=nova.style).as_dict()
    assert result["operations"]
    assert [(op["operation"], dev["kind"], dev["detail"])
            for op in result["operations"] for dev in op["deviations"]] == []
