"""nova-compute: the manager (task_state sequences) and its RPC API."""

from analyzer.replay.compute.manager import ComputeManager
from analyzer.replay.compute.rpcapi import ComputeAPI

__all__ = ["ComputeAPI", "ComputeManager"]
