"""nova-conductor: database writes for compute, boot and rebuild tasks."""

from analyzer.replay.conductor.db import Database, ExpectedStateError
from analyzer.replay.conductor.manager import ConductorManager

__all__ = ["ConductorManager", "Database", "ExpectedStateError"]
