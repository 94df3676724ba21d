"""Guest domain XML as Nova's libvirt driver writes it (``_get_guest_xml``), and its rescue form.

The domain is named ``instance-<8 hex>`` and carries Nova's metadata block; its root disk is
``<instance dir>/disk`` as ``vda`` (virtio, qcow2, cache none).  The rescue domain boots
``disk.rescue`` as ``vda`` with the instance's own ``disk`` attached as ``vdb`` (reference 3.7).
The domain type follows the hypervisor: ``test`` on libvirt's test driver, ``qemu`` otherwise.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

__all__ = ["domain_name", "guest_xml", "rescue_xml"]

_NOVA_NS = "http://openstack.org/xmlns/libvirt/nova/1.0"


def domain_name(uuid: str) -> str:
    return "instance-" + uuid.replace("-", "")[:8]


def _disk(devices: ET.Element, path: Path, target: str) -> None:
    disk = ET.SubElement(devices, "disk", type="file", device="disk")
    ET.SubElement(disk, "driver", name="qemu", type="qcow2", cache="none")
    ET.SubElement(disk, "source", file=str(path))
    ET.SubElement(disk, "target", bus="virtio", dev=target)


def guest_xml(instance: dict, directory: Path, domain_type: str, disks: list[tuple[Path, str]]) -> str:
    """The domain XML for ``instance`` with ``disks`` as (path, target device) pairs."""
    root = ET.Element("domain", type=domain_type)
    ET.SubElement(root, "uuid").text = instance["uuid"]
    ET.SubElement(root, "name").text = domain_name(instance["uuid"])
    ET.SubElement(root, "memory").text = str(int(instance.get("memory_mb") or 512) * 1024)
    ET.SubElement(root, "vcpu").text = str(int(instance.get("vcpus") or 1))
    metadata = ET.SubElement(root, "metadata")
    ET.register_namespace("nova", _NOVA_NS)
    nova = ET.SubElement(metadata, f"{{{_NOVA_NS}}}instance")
    ET.SubElement(nova, f"{{{_NOVA_NS}}}name").text = str(instance.get("display_name") or instance["uuid"])
    ET.SubElement(nova, f"{{{_NOVA_NS}}}root", type="image", uuid=str(instance.get("image_ref") or ""))
    os_element = ET.SubElement(root, "os")
    ET.SubElement(os_element, "type").text = "hvm"
    ET.SubElement(os_element, "boot", dev="hd")
    devices = ET.SubElement(root, "devices")
    for path, target in disks:
        _disk(devices, path, target)
    serial = ET.SubElement(devices, "serial", type="file")
    ET.SubElement(serial, "source", path=str(directory / "console.log"))
    ET.indent(root, "  ")
    return ET.tostring(root, encoding="unicode") + "\n"


def rescue_xml(instance: dict, directory: Path, domain_type: str) -> str:
    """The rescue domain: ``disk.rescue`` as vda, the instance's ``disk`` as vdb."""
    return guest_xml(instance, directory, domain_type,
                     [(directory / "disk.rescue", "vda"), (directory / "disk", "vdb")])
