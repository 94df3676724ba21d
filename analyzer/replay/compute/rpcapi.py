"""The compute RPC API (topic ``compute``, server = host): Nova's methods, all casts here."""

from __future__ import annotations

from analyzer.replay.messaging import RPCClient

__all__ = ["CAST_METHODS", "ComputeAPI"]

# Every method mini-Nova replays is a cast in Nova (reference 4.2).
CAST_METHODS = frozenset({
    "build_and_run_instance", "terminate_instance", "start_instance", "stop_instance",
    "pause_instance", "unpause_instance", "suspend_instance", "resume_instance",
    "rescue_instance", "unrescue_instance", "snapshot_instance", "reboot_instance",
    "rebuild_instance",
})


class ComputeAPI:
    """``nova.compute.rpcapi.ComputeAPI``: ``compute.pause_instance(ctx, instance)``."""

    def __init__(self, transport, log) -> None:
        self.client = RPCClient(transport, "compute", log)

    def build_and_run_instance(self, context, instance, image, host, node=None, limits=None):
        self.client.cast(context, "build_and_run_instance", server=host, instance=instance, image=image,
                         node=node, limits=limits)

    def rebuild_instance(self, context, instance, image, orig_image_ref):
        self.client.cast(context, "rebuild_instance", server=instance["host"], instance=instance,
                         image=image, orig_image_ref=orig_image_ref)

    def snapshot_instance(self, context, instance, image_id):
        self.client.cast(context, "snapshot_instance", server=instance["host"], instance=instance,
                         image_id=image_id)

    def reboot_instance(self, context, instance, reboot_type):
        self.client.cast(context, "reboot_instance", server=instance["host"], instance=instance,
                         reboot_type=reboot_type)

    def rescue_instance(self, context, instance, rescue_image):
        self.client.cast(context, "rescue_instance", server=instance["host"], instance=instance,
                         rescue_image=rescue_image)

    def cast(self, context, method: str, instance: dict) -> None:
        """The casts that take only the instance (pause_instance, terminate_instance, …)."""
        if method not in CAST_METHODS:
            raise ValueError(f"not a compute cast: {method}")
        self.client.cast(context, method, server=instance["host"], instance=instance)
