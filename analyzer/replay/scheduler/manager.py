"""nova-scheduler for mini-Nova: ``select_destinations`` over the registered compute hosts."""

from __future__ import annotations

from analyzer.replay.scheduler.filters import FILTERS, weigh

__all__ = ["SchedulerManager"]


class SchedulerManager:
    """The endpoint of topic ``scheduler``; reads the compute nodes, writes nothing."""

    def __init__(self, db, log, style: str) -> None:
        self.db = db
        self.log = log
        self.style = style
        self.logger = "nova.scheduler.filter_scheduler" if style == "2016" else "nova.scheduler.manager"

    def select_destinations(self, context, spec):
        hosts = self.db.list_nodes()
        self.log.debug("nova.filters", f"Starting with {len(hosts)} host(s)", context,
                       func="get_filtered_objects")
        results = []
        start = len(hosts)
        for name, accepts in FILTERS:
            hosts = [host for host in hosts if accepts(host, spec)]
            results.append(f"'{name}: (start: {start}, end: {len(hosts)})'")
            start = len(hosts)
            if not hosts:
                self.log.info("nova.filters", f"Filter {name} returned 0 hosts", context)
                self.log.info("nova.filters", "Filtering removed all hosts for the request with instance ID "
                              f"'{spec['uuid']}'. Filter results: [{', '.join(results)}]", context)
                return []
            self.log.debug("nova.filters", f"Filter {name} returned {len(hosts)} host(s)", context,
                           func="get_filtered_objects")
        weighed = sorted(hosts, key=weigh, reverse=True)
        top = max(weigh(host) for host in weighed) or 1.0
        described = [
            f"WeighedHost [host: ({host['host']}, {host['node']}) ram: "
            f"{host['memory_mb'] - host['memory_mb_used']}MB disk: "
            f"{(host['local_gb'] - host['local_gb_used']) * 1024}MB io_ops: 0 instances: 0, "
            f"weight: {weigh(host) / top:.1f}]"
            for host in weighed]
        self.log.debug(self.logger, f"Weighed [{', '.join(described)}]", context, func="_schedule")
        self.log.debug(self.logger, f"Selected host: {described[0]}", context, func="_schedule")
        chosen = weighed[0]
        return [{"host": chosen["host"], "nodename": chosen["node"], "limits": {
            "memory_mb": chosen["memory_mb"] * 1.5, "disk_gb": chosen["local_gb"]}}]
