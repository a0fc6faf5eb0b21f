"""The probe's parsers against recorded outputs: Pi 4 and Pi 5 firmware, meminfo, df, k3s nodes, docker."""

from __future__ import annotations

from pathlib import Path

import pytest

from actions.health.parse import (
    ProbeError,
    carry_over,
    parse_df,
    parse_docker,
    parse_meminfo,
    parse_nodes,
    parse_probe,
    parse_services,
    parse_temp,
    parse_throttled,
    parse_times,
    split_sections,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "health"


def data(name: str) -> str:
    return (DATA / name).read_text()


def test_throttled_0x50005_is_under_voltage_and_throttling_now() -> None:
    t = parse_throttled(data("pi4_get_throttled_undervoltage.txt"))
    assert t is not None and t.raw == 0x50005
    assert t.now == ["under-voltage", "throttling"]
    assert t.since_boot == ["under-voltage", "throttling"]
    assert t.describe() == "under-voltage and throttling NOW"


def test_throttled_0x50000_happened_since_boot_only() -> None:
    t = parse_throttled(data("pi5_get_throttled_since_boot.txt"))
    assert t is not None and t.now == []
    assert t.describe() == "under-voltage and throttling happened since boot"


def test_throttled_zero_and_soft_limit() -> None:
    ok = parse_throttled(data("pi4_get_throttled_ok.txt"))
    assert ok is not None and ok.raw == 0 and ok.now == [] and ok.since_boot == []
    assert ok.describe() == "not throttled"
    soft = parse_throttled(data("pi5_get_throttled_soft_temp.txt"))
    assert soft is not None and soft.now == ["soft temperature limit"]
    assert soft.since_boot == ["soft temperature limit"]


@pytest.mark.parametrize(
    ("bit", "name"),
    [(0, "under-voltage"), (1, "ARM frequency capped"), (2, "throttling"), (3, "soft temperature limit")],
)
def test_each_throttle_bit(bit: int, name: str) -> None:
    now = parse_throttled(f"throttled={hex(1 << bit)}")
    since = parse_throttled(f"throttled={hex(1 << (bit + 16))}")
    assert now is not None and now.now == [name] and now.since_boot == []
    assert since is not None and since.now == [] and since.since_boot == [name]


def test_throttled_absent() -> None:
    assert parse_throttled("") is None
    assert parse_throttled("VCHI initialization failed") is None


def test_temperatures_from_vcgencmd_and_thermal_zone() -> None:
    assert parse_temp("vcgencmd " + data("pi4_measure_temp.txt")) == (52.6, "vcgencmd")
    assert parse_temp("vcgencmd " + data("pi5_measure_temp.txt")) == (47.8, "vcgencmd")
    assert parse_temp("zone 61325") == (61.325, "thermal_zone0")
    assert parse_temp("") is None


def test_meminfo() -> None:
    assert parse_meminfo(data("pi4_meminfo.txt")) == (3884328, 2417004)
    assert parse_meminfo(data("pi5_meminfo.txt")) == (8245232, 337860)
    assert parse_meminfo("") == (None, None)


def test_df_maps_asked_paths_to_their_filesystems() -> None:
    text = "path /\npath /var/lib/longhorn\npath /mnt/backups\n" + data("pi4_df.txt")
    disks = parse_df(text)
    assert [d.path for d in disks] == ["/", "/var/lib/longhorn", "/mnt/backups"]
    assert [d.mount for d in disks] == ["/", "/var/lib/longhorn", "/mnt/backups"]
    # df's Capacity column: used / (used + available), rounded up by df.
    assert [round(d.used_pct) for d in disks] == [42, 90, 86]
    assert disks[1].size_kb == 468346284


def test_k3s_nodes_ready_and_not_ready() -> None:
    nodes, note = parse_nodes("rc 0\n" + data("k3s_get_nodes.json"))
    assert note is None and nodes is not None
    assert [(n.name, n.ready) for n in nodes] == [("pi1", True), ("pi2", True), ("pi3", False)]
    assert nodes[2].reason == "NodeStatusUnknown"


def test_k3s_nodes_not_permitted_is_a_note() -> None:
    nodes, note = parse_nodes(
        "rc 1\nerror: error loading config file \"/etc/rancher/k3s/k3s.yaml\": permission denied"
    )
    assert nodes is None and note is not None and "permission denied" in note


def test_docker_containers_and_unavailable_docker() -> None:
    containers, note = parse_docker("rc 0\n" + data("pi2_docker_ps.txt"))
    assert note is None and containers is not None
    assert [(c.name, c.state) for c in containers] == [
        ("postgres", "running"), ("gitea", "running"), ("gitea-backup", "exited"),
    ]
    containers, note = parse_docker("rc 1\npermission denied while trying to connect to the Docker daemon socket")
    assert containers is None and note is not None and note.startswith("docker unavailable: permission denied")


def test_services_leave_out_units_not_installed() -> None:
    text = (
        "Id=k3s.service\nLoadState=loaded\nActiveState=failed\nSubState=failed\n\n"
        "Id=k3s-agent.service\nLoadState=not-found\nActiveState=inactive\nSubState=dead\n"
    )
    services = parse_services(text)
    assert [(s.name, s.active) for s in services] == [("k3s", "failed")]
    assert parse_services("") == []


def test_times_sums_shell_and_children() -> None:
    assert parse_times("0m0.010s 0m0.020s\n1m0.500s 0m0.250s") == pytest.approx(60.78)
    assert parse_times("") is None


def test_whole_pi4_probe_answer() -> None:
    raw = data("pi4_probe_kube.txt")
    # Sent 10 ms before the probe started by the host's clock and received 12 ms after it ended:
    # offset = ((t0 - sent) + (t1 - received)) / 2, round trip = total - probe run time.
    r = parse_probe(raw, sent_at=1795645000.110, received_at=1795645000.140)
    assert r.uptime_s == 431234.56 and r.load == (0.52, 0.61, 0.58) and r.cores == 4
    assert r.temp_c == pytest.approx(52.582) and r.temp_source == "thermal_zone0"
    assert r.throttle is not None and r.throttle.now == ["under-voltage", "throttling"]
    assert r.mem_available_pct == pytest.approx(100 * 2417004 / 3884328)
    assert r.disks is not None and len(r.disks) == 3
    assert r.ntp_synced is True
    assert r.services is not None and [s.name for s in r.services] == ["k3s"]
    assert r.nodes is not None and len(r.nodes) == 3
    assert r.clock_offset_s == pytest.approx(-0.001, abs=1e-6)
    assert r.rtt_ms == pytest.approx(22.0, abs=0.01)
    assert r.probe_ms == pytest.approx(30.0, abs=0.01)
    assert r.probe_cpu_s == pytest.approx(1.21 + 0.83 + 4.02 + 2.11)
    assert r.slow_at == r.kube_at == 1795645000.140


def test_recorded_sandbox_answer_has_no_pi_signals() -> None:
    r = parse_probe(data("sandbox_pi2_probe_slow.txt"), 1795645439.07, 1795645439.39)
    assert r.temp_c is None and r.throttle is None and r.ntp_synced is None
    assert r.services == [] and r.containers is None
    assert r.docker_note is not None and "Cannot connect to the Docker daemon" in r.docker_note
    assert r.load == (9.78, 6.94, 3.84) and r.cores == 2
    assert r.disks is not None and r.disks[0].mount == "/"


def test_fast_answer_carries_slow_signals_over() -> None:
    slow = parse_probe(data("pi4_probe_kube.txt"), 1795645000.11, 1795645000.14)
    fast = parse_probe(data("sandbox_pi2_probe_fast.txt"), 1795645441.0, 1795645441.01)
    assert fast.disks is None and fast.slow_at is None
    merged = carry_over(fast, slow)
    assert merged.disks == slow.disks and merged.slow_at == slow.slow_at
    assert merged.nodes == slow.nodes and merged.kube_at == slow.kube_at
    assert merged.load == fast.load


def test_incomplete_answer_is_refused() -> None:
    with pytest.raises(ProbeError):
        parse_probe("@@t0 1\n@@uptime\n12.0\n", 0.0, 1.0)


def test_split_sections_keeps_inline_values() -> None:
    s = split_sections("noise\n@@t0 12.5\n@@a\nx\ny\n@@end 3\n")
    assert s == {"t0": "12.5", "a": "x\ny", "end": "3"}


def test_docker_engine_api_answer() -> None:
    containers, note = parse_docker("rc 0\n" + data("pi2_docker_api_containers.json"))
    assert note is None and containers is not None
    assert [(c.name, c.state) for c in containers] == [
        ("postgres", "running"), ("gitea", "running"), ("gitea-backup", "exited"),
    ]
    assert containers[0].status == "Up 5 days (healthy)"
    containers, note = parse_docker('rc 0\n{"message":"client version 1.24 is too old"}')
    assert containers is None and note == "docker unavailable: client version 1.24 is too old"


def test_a_container_keeps_the_machines_clock_and_counts_as_synced() -> None:
    from actions.health.parse import parse_ntp

    assert parse_ntp("container\n") is True
    assert parse_ntp("no") is False and parse_ntp("yes") is True and parse_ntp("") is None
