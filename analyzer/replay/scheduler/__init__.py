"""nova-scheduler: filters, weigher, select_destinations."""

from analyzer.replay.scheduler.manager import SchedulerManager
from analyzer.replay.scheduler.rpcapi import SchedulerAPI

__all__ = ["SchedulerAPI", "SchedulerManager"]
