"""The scheduler's RPC API (topic ``scheduler``): ``select_destinations`` is a call."""

from __future__ import annotations

from analyzer.replay.messaging import RPCClient

__all__ = ["SchedulerAPI"]


class SchedulerAPI:
    def __init__(self, transport, log) -> None:
        self.client = RPCClient(transport, "scheduler", log)

    def select_destinations(self, context, instance: dict) -> list[dict]:
        spec = {key: instance[key] for key in ("uuid", "memory_mb", "vcpus", "root_gb")}
        return self.client.call(context, "select_destinations", spec=spec)
