"""Thresholds into ok / warn / critical, connection states, staleness, and the CLI's exit codes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from actions.config import Thresholds, load_settings
from actions.health.evaluate import assess, clock, failing, host_findings, is_stale
from actions.health.models import Disk, HostState, Reading, Snapshot, Status, Throttle, worst
from actions.health.report import exit_code, to_json

NOW = 1_800_000_000.0


def reading(**kw: object) -> Reading:
    base: dict[str, object] = {"taken_at": NOW, "rtt_ms": 2.0, "probe_ms": 3.0}
    base.update(kw)
    return Reading(**base)  # type: ignore[arg-type]


def status_of(r: Reading, th: Thresholds | None = None, signal: str | None = None) -> Status:
    found = assess(r, th or Thresholds())
    if signal is not None:
        found = [f for f in found if f.signal == signal]
        assert found, f"no finding for {signal}"
    return worst([f.status for f in found])


@pytest.mark.parametrize(("temp", "expected"), [(69.9, Status.OK), (70.0, Status.WARN), (80.0, Status.CRITICAL)])
def test_temperature(temp: float, expected: Status) -> None:
    assert status_of(reading(temp_c=temp), signal="temperature") is expected


@pytest.mark.parametrize(
    ("load", "expected"), [(5.9, Status.OK), (6.0, Status.WARN), (11.9, Status.WARN), (12.0, Status.CRITICAL)]
)
def test_load_per_core_on_four_cores(load: float, expected: Status) -> None:
    assert status_of(reading(load=(load, 1.0, 1.0), cores=4), signal="load") is expected


@pytest.mark.parametrize(("avail", "expected"), [(16, Status.OK), (15, Status.WARN), (5, Status.CRITICAL)])
def test_memory_available(avail: int, expected: Status) -> None:
    assert status_of(reading(mem_total_kb=100, mem_available_kb=avail), signal="memory") is expected


@pytest.mark.parametrize(("used", "expected"), [(79, Status.OK), (80, Status.WARN), (90, Status.CRITICAL)])
def test_disk_used(used: int, expected: Status) -> None:
    disk = Disk(path="/var/lib/longhorn", mount="/var/lib/longhorn", size_kb=100, used_kb=used, available_kb=100 - used)
    assert status_of(reading(disks=[disk]), signal="disk /var/lib/longhorn") is expected


def test_throttle_now_is_critical_since_boot_is_warn() -> None:
    now = Throttle(raw=0x50005, now=["under-voltage", "throttling"], since_boot=["under-voltage", "throttling"])
    since = Throttle(raw=0x50000, since_boot=["under-voltage", "throttling"])
    assert status_of(reading(throttle=now)) is Status.CRITICAL
    assert status_of(reading(throttle=since)) is Status.WARN
    assert status_of(reading(throttle=Throttle(raw=0))) is Status.OK
    texts = [f.text for f in assess(reading(throttle=now), Thresholds())]
    assert texts == ["under-voltage and throttling NOW (0x50005)"]


def test_clock_sync_and_offset() -> None:
    assert status_of(reading(ntp_synced=False)) is Status.WARN
    assert status_of(reading(ntp_synced=True)) is Status.OK
    assert status_of(reading(clock_offset_s=2.5)) is Status.CRITICAL
    assert status_of(reading(clock_offset_s=-2.5)) is Status.CRITICAL
    assert status_of(reading(clock_offset_s=1.9)) is Status.OK


def test_absent_signals_give_no_verdict() -> None:
    assert assess(reading(), Thresholds()) == []


def test_thresholds_come_from_the_config_file(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text("[health.thresholds]\ntemp_warn_c = 50\ntemp_crit_c = 60\n")
    th = load_settings(cfg, state_dir=tmp_path).health.thresholds
    assert status_of(reading(temp_c=55.0), th) is Status.WARN
    assert status_of(reading(temp_c=61.0), th) is Status.CRITICAL
    assert status_of(reading(temp_c=55.0)) is Status.OK


def host(**kw: object) -> HostState:
    base: dict[str, object] = {"name": "pi1", "address": "10.0.0.1", "port": 22}
    base.update(kw)
    return HostState(**base)  # type: ignore[arg-type]


def test_unreachable_names_the_time_it_went_away() -> None:
    since = NOW - 30
    status, findings = host_findings(host(connection="unreachable", since=since), Thresholds(), 2.0, NOW)
    assert status is Status.CRITICAL
    assert findings[0].text == f"unreachable since {clock(since)}"
    assert len(clock(since)) == 8 and clock(since).count(":") == 2


def test_host_key_mismatch_is_critical_even_with_an_old_reading() -> None:
    state = host(connection="host key mismatch", reading=reading(load=(0.1, 0.1, 0.1), cores=4))
    status, findings = host_findings(state, Thresholds(), 2.0, NOW)
    assert status is Status.CRITICAL and [f.text for f in findings] == ["host key mismatch"]


def test_reading_older_than_two_ticks_is_stale_never_current() -> None:
    r = reading(taken_at=NOW - 4.1, temp_c=90.0)
    state = host(connection="up", reading=r)
    assert is_stale(state, 2.0, NOW)
    status, findings = host_findings(state, Thresholds(), 2.0, NOW)
    assert status is Status.UNKNOWN and findings[0].text.startswith("stale: last reading 4s old")
    fresh = host(connection="up", reading=reading(taken_at=NOW - 3.9, temp_c=90.0))
    assert not is_stale(fresh, 2.0, NOW)
    assert host_findings(fresh, Thresholds(), 2.0, NOW)[0] is Status.CRITICAL


def test_failing_lists_worst_first() -> None:
    r = reading(temp_c=72.0, clock_offset_s=5.0, ntp_synced=True)
    names = [f.signal for f in failing(assess(r, Thresholds()))]
    assert names == ["clock offset", "temperature"]


def snapshot(*states: HostState) -> Snapshot:
    return Snapshot(taken_at=NOW, interval=2.0, hosts=list(states))


def test_exit_codes() -> None:
    ok = host(connection="up", reading=reading(load=(0.1, 0.1, 0.1), cores=4))
    warn = host(name="pi2", connection="up", reading=reading(ntp_synced=False))
    crit = host(name="pi3", connection="up", reading=reading(temp_c=85.0))
    down = host(name="pi3", connection="unreachable", since=NOW - 5)
    th = Thresholds()
    assert exit_code(snapshot(ok), th, NOW) == 0
    assert exit_code(snapshot(ok, warn), th, NOW) == 1
    assert exit_code(snapshot(ok, warn, crit), th, NOW) == 2
    assert exit_code(snapshot(ok, down), th, NOW) == 2
    assert exit_code(snapshot(ok, host(name="pi2")), th, NOW) == 1  # still connecting


def test_json_document_has_every_host_signal_and_status() -> None:
    ok = host(connection="up", since=NOW - 60, reading=reading(load=(0.1, 0.2, 0.3), cores=4, temp_c=50.0))
    down = host(name="pi3", connection="unreachable", since=NOW - 5, last_error="pi3: connection refused")
    doc = to_json(snapshot(ok, down), Thresholds(), NOW)
    assert doc["status"] == "critical"
    pi1, pi3 = doc["hosts"]
    assert pi1["status"] == "ok" and pi1["signals"]["temp_c"] == 50.0 and pi1["signals"]["load"] == [0.1, 0.2, 0.3]
    assert pi1["signals"]["load_per_core"] == pytest.approx(0.025) and "raw" not in pi1["signals"]
    assert pi3["status"] == "critical" and pi3["signals"] is None and pi3["last_error"] == "pi3: connection refused"
    assert pi3["findings"][0]["text"].startswith("unreachable since ")


def test_clock_is_local_time() -> None:
    t = time.time()
    assert clock(t) == time.strftime("%H:%M:%S", time.localtime(t))
