"""The wiring of mini-Nova: several compute hosts, log styles, timing."""

from __future__ import annotations

import pytest

from analyzer.lifecycle import check
from analyzer.replay import MiniNova
from analyzer.replay.logs import NovaLogs
from analyzer.replay.timing import Timing

from .conftest import boot, settle


def test_two_compute_hosts_share_the_instances_and_write_a_log_each(tmp_path):
    with MiniNova(log_dir=tmp_path / "logs", state_dir=tmp_path / "state", computes=2) as nova, \
            nova.client() as client:
        servers = [boot(client, f"vm{index}") for index in range(4)]
        hosts = {settle(client, server)["OS-EXT-SRV-ATTR:host"] for server in servers}
        for server in servers:
            assert client.delete(f"/v2.1/servers/{server}").status_code == 204
        for server in servers:
            while client.get(f"/v2.1/servers/{server}").status_code != 404:
                pass
    assert hosts == {"compute1", "compute2"}  # the RAM weigher spreads them
    names = sorted(path.name for path in (tmp_path / "logs").glob("nova-compute*.log"))
    assert names == ["nova-compute-compute1.log", "nova-compute-compute2.log"]
    result = check([tmp_path / "logs"]).as_dict()
    assert [op["operation"] for op in result["operations"]].count("boot") == 4
    assert all(not op["deviations"] for op in result["operations"])


def test_an_unknown_log_style_or_timing_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown log style"):
        NovaLogs(tmp_path, style="1999")
    with pytest.raises(ValueError, match="unknown timing"):
        Timing.named("slow")


def test_realistic_timing_is_seeded_and_close_to_real_durations():
    first, second = Timing.named("realistic"), Timing.named("realistic")
    draws = [first.wait("command", 10.0) for _ in range(5)]  # already longer: no sleep
    assert draws == [10.0] * 5
    assert first.medians["spawn"][0] == pytest.approx(2.0)
    assert second.wait("unknown step", 0.25) == 0.25
    assert Timing.named("fast") is None
