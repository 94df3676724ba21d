"""The conductor's RPC API (topic ``conductor``): Nova's method names and cast/call choices."""

from __future__ import annotations

import oslo_messaging

from analyzer.replay.messaging import RPCClient

__all__ = ["ComputeTaskAPI", "ConductorAPI"]


class ComputeTaskAPI:
    """``nova.conductor.rpcapi.ComputeTaskAPI``: boot and rebuild are casts (reference 4.3)."""

    def __init__(self, transport, log, style: str) -> None:
        self.client = RPCClient(transport, "conductor", log)
        self.style = style

    def build_instances(self, context, instance: dict, image: dict) -> None:
        # Mitaka: build_instances; from Ocata on: schedule_and_build_instances.
        method = "build_instances" if self.style == "2016" else "schedule_and_build_instances"
        self.client.cast(context, method, instance=instance, image=image)

    def rebuild_instance(self, context, instance: dict, image: dict, orig_image_ref: str) -> None:
        self.client.cast(context, "rebuild_instance", instance=instance, image=image,
                         orig_image_ref=orig_image_ref)


class ConductorAPI:
    """The database calls nova-compute makes (Nova's object_action, here by name); all calls."""

    def __init__(self, transport, log) -> None:
        self.client = RPCClient(transport, "conductor", log)
        self.log = log

    def call(self, context, method: str, **kwargs):
        return self.client.call(context, method, **kwargs)

    def wait_until_ready(self, context, early_timeout: float = 10.0, early_attempts: int = 10) -> None:
        """Nova's ``wait_until_ready``: ping nova-conductor until it answers, as nova-compute does
        when it starts (a service started before the conductor waits for it)."""
        attempt = 0
        while True:
            attempt += 1
            timeout = early_timeout if attempt <= early_attempts else None
            try:
                self.client.call(context, "ping", arg="1.21 GigaWatts", timeout=timeout)
                return
            except oslo_messaging.MessagingTimeout:
                self.log.warning(
                    "nova.conductor.api", "Timed out waiting for nova-conductor.  Is it running? Or did this "
                    "service start before nova-conductor?  Reattempting establishment of nova-conductor "
                    "connection...", context)
