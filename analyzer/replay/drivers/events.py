"""libvirt's domain lifecycle events, delivered to nova-compute as Nova's libvirt host does.

libvirt calls back from its event loop (``virEventRegisterDefaultImpl`` once per process, then
``virEventRunDefaultImpl`` in a daemon thread).  ``LifecycleEvents`` turns each callback into
Nova's event name (``nova/virt/libvirt/host.py``: STARTED -> Started, SUSPENDED -> Paused,
RESUMED -> Resumed, STOPPED -> Stopped; DEFINED, UNDEFINED, SHUTDOWN, PMSUSPENDED and CRASHED
are not passed on) and hands it to the compute manager, with Nova's delay on Stopped: a Stopped
event waits ``stopped_delay`` seconds (Nova's ``_lifecycle_delay``, 15 s) and is dropped when a
later event for the same domain arrives first (DEBUG ``Removed pending event for <uuid> due to
lifecycle event``).

The driver waits, bounded, until libvirt has delivered the event its call caused
(``expect``), so that the lines the driver logs after the call follow the event's line in
the log, as they do in Nova's logs.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator

import libvirt

__all__ = ["EVENT_NAMES", "LifecycleEvents", "start_event_loop"]

EVENT_NAMES = {
    libvirt.VIR_DOMAIN_EVENT_STARTED: "Started",
    libvirt.VIR_DOMAIN_EVENT_SUSPENDED: "Paused",
    libvirt.VIR_DOMAIN_EVENT_RESUMED: "Resumed",
    libvirt.VIR_DOMAIN_EVENT_STOPPED: "Stopped",
}
NOVA_LIFECYCLE_DELAY = 15.0
_HOST = "nova.virt.libvirt.host"

_loop_lock = threading.Lock()
_loop_started = False


def start_event_loop() -> None:
    """Register libvirt's default event loop and run it in a daemon thread (once per process).

    It must run before the first connection is opened for that connection to deliver events.
    """
    global _loop_started
    with _loop_lock:
        if _loop_started:
            return
        # As Nova does: libvirt's errors reach the caller as exceptions, not printed on stderr.
        libvirt.registerErrorHandler(lambda _context, _error: None, None)
        libvirt.virEventRegisterDefaultImpl()

        def run() -> None:
            while True:
                libvirt.virEventRunDefaultImpl()

        threading.Thread(target=run, name="libvirt-events", daemon=True).start()
        _loop_started = True


class LifecycleEvents:
    """The lifecycle events of one connection, passed to ``emit(uuid, name)``."""

    def __init__(self, connection: libvirt.virConnect, emit: Callable[[str, str], None], log,
                 stopped_delay: float = NOVA_LIFECYCLE_DELAY, wait_timeout: float = 5.0,
                 owns: Callable[[str], bool] = lambda _uuid: True) -> None:
        self.emit = emit
        self.owns = owns  # hosts sharing one hypervisor each hear only their own domains
        self.log = log
        self.stopped_delay = stopped_delay
        self.wait_timeout = wait_timeout
        self._seen: Counter[tuple[str, str]] = Counter()
        self._pending: dict[str, threading.Timer] = {}
        self._condition = threading.Condition()
        self._callback = connection.domainEventRegisterAny(
            None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, self._on_event, None)
        self._connection = connection

    def close(self) -> None:
        with contextlib.suppress(libvirt.libvirtError):
            self._connection.domainEventDeregisterAny(self._callback)
        with self._condition:
            for timer in self._pending.values():
                timer.cancel()
            self._pending.clear()

    # -- from libvirt's event loop -------------------------------------------------------------
    def _on_event(self, _connection, domain, event: int, _detail: int, _opaque) -> None:
        name = EVENT_NAMES.get(event)
        uuid = domain.UUIDString()
        if name is not None and self.owns(uuid):
            self.deliver(uuid, name)

    def deliver(self, uuid: str, name: str) -> None:
        """One event, as libvirt (or the driver, where the test driver has none) reports it."""
        with self._condition:
            pending = self._pending.pop(uuid, None)
        if pending is not None:
            pending.cancel()
            self.log.debug(_HOST, f"Removed pending event for {uuid} due to lifecycle event", None,
                           func="_event_emit_delayed")
        if name == "Stopped" and self.stopped_delay > 0:
            timer = threading.Timer(self.stopped_delay, self._emit_delayed, (uuid, name))
            timer.daemon = True
            with self._condition:
                self._pending[uuid] = timer
            timer.start()
        else:
            self.emit(uuid, name)
        with self._condition:
            self._seen[uuid, name] += 1
            self._condition.notify_all()

    def _emit_delayed(self, uuid: str, name: str) -> None:
        with self._condition:
            if self._pending.get(uuid) is None:
                return
            del self._pending[uuid]
        self.emit(uuid, name)

    # -- for the driver ------------------------------------------------------------------------
    @contextlib.contextmanager
    def expect(self, uuid: str, *names: str) -> Iterator[None]:
        """Run the block, then wait (bounded) until libvirt has delivered each of ``names``."""
        with self._condition:
            before = {name: self._seen[uuid, name] for name in names}
        yield
        deadline = time.monotonic() + self.wait_timeout
        with self._condition:
            while any(self._seen[uuid, name] <= before[name] for name in names):
                left = deadline - time.monotonic()
                if left <= 0:
                    return  # the hypervisor did not report it; Nova does not wait for it either
                self._condition.wait(left)
