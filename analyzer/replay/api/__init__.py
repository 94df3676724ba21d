"""nova-api: the Compute API app, admission rules, views."""

from analyzer.replay.api.admission import RULES, refusal
from analyzer.replay.api.app import NovaError, create_app

__all__ = ["RULES", "NovaError", "create_app", "refusal"]
