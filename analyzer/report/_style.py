"""Colours and lane names shared by every figure of a report, so a type looks the same everywhere."""

from __future__ import annotations

from analyzer.lifecycle.machine import DEVIATION, FAILED, INCOMPLETE, OK
from analyzer.lifecycle.records import Record

# 24 distinguishable colours (plotly's D3 and Dark24 mixed), one per operation type.
OPERATION_COLOURS = (
    "#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#ff7f0e",
    "#2E91E5", "#1CA71C", "#6A76FC", "#FB0D0D", "#DA16FF", "#B68100", "#750D86", "#EB663B",
    "#511CFB", "#00A08B", "#FB00D1", "#862A16", "#A777F1", "#620042", "#1616A7", "#0D2A63",
)
SERVICE_COLOURS = {"nova-api": "#1f77b4", "nova-scheduler": "#9467bd", "nova-conductor": "#ff7f0e",
                   "nova-compute": "#2ca02c"}
OTHER_SERVICE = "#7f7f7f"
STATUS_COLOURS = {OK: "#2ca02c", DEVIATION: "#ff7f0e", FAILED: "#d62728", INCOMPLETE: "#7f7f7f"}
DEVIATION_RED = "#d62728"

# States get fixed colours where Nova's meaning suggests one, else one from the palette.
STATE_COLOURS = {
    "active": "#2ca02c", "running": "#2ca02c", "none": "#e5e5e5", "error": "#d62728",
    "crashed": "#d62728", "deleted": "#7f7f7f", "pending": "#c7c7c7", "building": "#aec7e8",
    "paused": "#ffbb78", "suspended": "#c5b0d5", "stopped": "#9edae5", "shutdown": "#9edae5",
    "rescued": "#f7b6d2", "shelved": "#dbdb8d", "shelved_offloaded": "#dbdb8d", "resized": "#c49c94",
}
STATE_PALETTE = ("#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2",
                 "#dbdb8d", "#9edae5")

SERVICE_ORDER = ("nova-api", "nova-scheduler", "nova-conductor", "nova-compute")
OPERATIONS_LANE = "operations"


def operation_colours(names: list[str]) -> dict[str, str]:
    """A colour per operation type name (the flows' names, sorted, so every report agrees)."""
    return {name: OPERATION_COLOURS[i % len(OPERATION_COLOURS)] for i, name in enumerate(sorted(names))}


def state_colour(value: str) -> str:
    known = STATE_COLOURS.get(value)
    if known:
        return known
    return STATE_PALETTE[sum(map(ord, value)) % len(STATE_PALETTE)]


def lane(record: Record) -> str:
    """The swimlane of a record: its service, and for nova-compute its host when the log says."""
    if record.service == "nova-compute" and record.host:
        return f"nova-compute {record.host}"
    return record.service


def lane_order(lane_name: str) -> tuple[int, str]:
    """Sort key of a lane: Nova's services in request order, compute hosts by name, others last."""
    for rank, service in enumerate(SERVICE_ORDER):
        if lane_name == service or lane_name.startswith(service + " "):
            return rank, lane_name
    return len(SERVICE_ORDER), lane_name


def service_colour(service: str) -> str:
    return SERVICE_COLOURS.get(service, OTHER_SERVICE)
