"""The fingerprint parsers and the diff's words (pure logic), and known-good records in a real journal file."""

from __future__ import annotations

from pathlib import Path

import pytest

from actions.config import Thresholds
from actions.health.diff import diff, host_changes
from actions.health.fingerprint import (
    parse_failed,
    parse_listening,
    parse_mounts,
    parse_packages,
    parse_port_range,
)
from actions.health.known_good import KnownGoodStore, NotGreen, Recorder
from actions.health.models import Fingerprint, HostState, Reading, Snapshot
from actions.journal import open_journal

TCP = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1
   1: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1
   2: 0201007F:E550 0100007F:D6EA 01 00000000:00000000 02:000AFC55 00000000     0        0 3 3
  sl  local_address                         remote_address                        st tx_queue
   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000
   1: 00000000000000000000000001000000:0CEA 00000000000000000000000000000000:0000 0A 00000000:00000000
"""
MOUNTS = """\
/dev/mmcblk0p2 / ext4 rw,noatime 0 0
proc /proc proc rw 0 0
tmpfs /run tmpfs rw 0 0
/dev/sda1 /var/lib/longhorn ext4 rw 0 0
/dev/sda2 /mnt/backups ext4 rw 0 0
/dev/sdb1 /mnt/my\\040disk vfat rw 0 0
overlay /run/k3s/containerd/io.containerd.runtime.v2.task/k8s.io/abc/rootfs overlay rw 0 0
shm /var/lib/kubelet/pods/x/volumes/kubernetes.io~empty-dir/shm tmpfs rw 0 0
"""


def test_listening_sockets_are_decoded_from_the_kernel_tables() -> None:
    assert parse_listening(TCP) == ["0.0.0.0:22", "127.0.0.1:8080", "[::1]:3306", "[::]:22"]
    # Ports the kernel hands out at random are left out.
    assert parse_listening(TCP, parse_port_range("3300\t8080\n")) == ["0.0.0.0:22", "[::]:22"]


def test_mounts_keep_storage_and_leave_out_pseudo_and_pod_mounts() -> None:
    assert parse_mounts(MOUNTS) == {
        "/": "ext4", "/var/lib/longhorn": "ext4", "/mnt/backups": "ext4", "/mnt/my disk": "vfat",
    }


def test_failed_units_only_where_systemd_runs() -> None:
    assert parse_failed("") is None
    assert parse_failed("systemd\n") == []
    assert parse_failed("systemd\nbackup-pg.service loaded failed failed factory backup: postgres\n") == [
        "backup-pg.service"
    ]


def test_packages_count_and_checksum() -> None:
    assert parse_packages("812\n1234567 20480\n") == (812, "1234567")
    assert parse_packages("") == (None, None)


def fp(**kw: object) -> Fingerprint:
    base: dict[str, object] = {
        "taken_at": 1.0, "kernel": "6.6.51+rpt-rpi-v8", "os_release": "Debian GNU/Linux 12 (bookworm)",
        "k3s_version": "v1.34.3+k3s1", "nodes_ready": {"pi1": True, "pi2": True},
        "failed_units": [], "containers": {"gitea": "gitea/gitea:1.25", "postgres": "postgres:16"},
        "mounts": {"/": "ext4", "/mnt/backups": "ext4"}, "disk_used_pct": {"/": 40.0},
        "listening": ["0.0.0.0:22", "0.0.0.0:3000"], "throttled_since_boot": [],
        "packages": 812, "packages_hash": "111",
    }
    base.update(kw)
    return Fingerprint.model_validate(base)


def texts(old: Fingerprint, new: Fingerprint, host: str = "pi2") -> list[str]:
    return [c.text for c in host_changes(host, old, new)]


def test_the_same_fingerprint_has_no_difference() -> None:
    assert texts(fp(), fp(taken_at=99.0, disk_used_pct={"/": 45.0})) == []


@pytest.mark.parametrize(("change", "expected"), [
    ({"containers": {"postgres": "postgres:16"}}, "pi2: container gitea gone"),
    ({"k3s_version": "v1.34.2+k3s1"}, "pi2: k3s v1.34.3+k3s1 -> v1.34.2+k3s1"),
    ({"mounts": {"/": "ext4"}}, "pi2: /mnt/backups not mounted"),
    ({"failed_units": ["backup-pg.service"]}, "pi2: new failed unit backup-pg.service"),
    ({"nodes_ready": {"pi1": True, "pi2": False}}, "pi2: k3s node pi2 Ready -> not Ready"),
    ({"listening": ["0.0.0.0:22"]}, "pi2: nothing listens on 0.0.0.0:3000 any more"),
    ({"kernel": "6.6.62+rpt-rpi-v8"}, "pi2: kernel 6.6.51+rpt-rpi-v8 -> 6.6.62+rpt-rpi-v8"),
    ({"disk_used_pct": {"/": 55.0}}, "pi2: disk / 40% -> 55% used"),
    ({"throttled_since_boot": ["under-voltage"]}, "pi2: throttled since boot: under-voltage"),
    ({"packages": 815, "packages_hash": "222"}, "pi2: packages changed (812 -> 815 installed)"),
    ({"containers": {"gitea": "gitea/gitea:1.26", "postgres": "postgres:16"}},
     "pi2: container gitea image gitea/gitea:1.25 -> gitea/gitea:1.26"),
    ({"containers": None}, "pi2: containers cannot be read now"),
])
def test_each_kind_of_difference_is_named(change: dict[str, object], expected: str) -> None:
    assert texts(fp(), fp(**change)) == [expected]


def test_hosts_that_came_or_went() -> None:
    changes = diff({"pi1": fp(), "pi3": fp()}, {"pi1": fp(), "pi3": None, "pi4": fp()})
    assert [c.text for c in changes] == [
        "pi3: no fingerprint now (unreachable, or not read yet)",
        "pi4: new host, not in the known-good snapshot",
    ]


def snap(status_ok: bool = True, fingerprint: bool = True, at: float = 1000.0) -> Snapshot:
    def reading() -> Reading:
        return Reading(taken_at=at, rtt_ms=1.0, probe_ms=2.0, load=(0.1, 0.1, 0.1), cores=4,
                       fingerprint=fp(taken_at=at) if fingerprint else None)

    hosts = [HostState(name="pi1", address="a", port=22, connection="up", reading=reading()),
             HostState(name="pi2", address="b", port=22,
                       connection="up" if status_ok else "unreachable", reading=reading())]
    return Snapshot(taken_at=at, interval=2.0, hosts=hosts)


def test_known_good_refused_unless_green_then_diff_and_accept(tmp_path: Path) -> None:
    journal = open_journal(tmp_path)
    try:
        store, th = KnownGoodStore(journal), Thresholds()
        with pytest.raises(NotGreen, match="pi2: critical"):
            store.record(snap(status_ok=False), th, lab="lab", operator="bob", reason="asked", now=1000.0)
        with pytest.raises(NotGreen, match="pi1: no fingerprint read yet"):
            store.record(snap(fingerprint=False), th, lab="lab", operator="bob", reason="asked", now=1000.0)
        assert store.latest("lab") is None
        kg = store.record(snap(), th, lab="lab", operator="bob", reason="asked", now=1000.0)
        assert kg.id == "1970-01-01T00:16:40Z" and sorted(kg.hosts) == ["pi1", "pi2"]
        now = snap()
        assert now.hosts[1].reading is not None
        now.hosts[1].reading.fingerprint = fp(containers={"postgres": "postgres:16"})
        report = store.report(now, "lab")
        assert [c.text for c in report.unexplained] == ["pi2: container gitea gone"]
        store.accept(kg.id, report.unexplained[0], "carol", "gitea moved to k3s")
        again = store.report(now, "lab")
        assert again.unexplained == [] and [a.operator for a in again.accepted] == ["carol"]
        assert again.to_json()["changes"][0]["accepted_by"] == "carol"
    finally:
        journal.close()


def test_the_recorder_takes_one_a_day_and_only_when_green(tmp_path: Path) -> None:
    journal = open_journal(tmp_path)
    try:
        store = KnownGoodStore(journal)
        clock = [1000.0]
        recorder = Recorder(store, Thresholds(), lab="lab", operator="app", clock=lambda: clock[0])
        recorder(snap(status_ok=False))
        assert recorder.taken is None and store.latest("lab") is None
        recorder(snap())
        first = recorder.taken
        assert first is not None and store.latest("lab") == first
        clock[0] = 1000.0 + 23 * 3600
        recorder(snap(at=clock[0]))
        assert recorder.taken is first  # not again the same day
        clock[0] = 1000.0 + 24 * 3600
        recorder(snap(at=clock[0]))
        assert recorder.taken is not first and store.latest("lab") == recorder.taken
    finally:
        journal.close()


def test_asked_for_it_waits_for_fresh_fingerprints_and_refuses_a_lab_not_green(tmp_path: Path) -> None:
    journal = open_journal(tmp_path)
    try:
        store = KnownGoodStore(journal)
        clock = [1000.0]
        recorder = Recorder(store, Thresholds(), lab="lab", operator="dan", clock=lambda: clock[0])
        recorder(snap())  # the daily one
        clock[0] = 1010.0
        recorder.ask()
        assert recorder(snap(at=1009.0)) is None  # fingerprints read before the question: wait
        said = recorder(snap(at=1010.0))
        assert said is not None and said.endswith("(asked for)")
        assert store.latest("lab") is not None and store.latest("lab").reason == "asked for"  # type: ignore[union-attr]
        recorder.ask()
        said = recorder(snap(status_ok=False, at=1010.0))
        assert said is not None and said.startswith("no known-good snapshot taken: not every host is green: pi2")
        assert store.latest("lab").reason == "asked for"  # type: ignore[union-attr]
    finally:
        journal.close()


def test_the_recovery_final_step_is_not_verified_while_a_difference_is_unexplained(tmp_path: Path) -> None:
    import asyncio

    from actions.config import load_settings
    from actions.runbooks.model import RUNBOOK_DIR, load_runbook
    from actions.runbooks.predicates import PREDICATES, Live

    final = load_runbook(RUNBOOK_DIR / "recovery.yml").step("final")
    assert "no_unexplained_changes" in str(final.verify)
    journal = open_journal(tmp_path)
    try:
        store = KnownGoodStore(journal)
        settings = load_settings(None, state_dir=tmp_path)
        check = PREDICATES["no_unexplained_changes"]
        now = snap()

        def live() -> Live:
            return Live(settings=settings, snapshot=now, extra={"known_good": lambda s: store.report(s, "lab")})

        assert asyncio.run(check(live(), {})).reading == "no known-good snapshot to compare with"
        kg = store.record(snap(), Thresholds(), lab="lab", operator="bob", reason="asked", now=1000.0)
        assert asyncio.run(check(live(), {})).ok is True
        assert now.hosts[0].reading is not None
        now.hosts[0].reading.fingerprint = fp(k3s_version="v1.34.2+k3s1")
        c = asyncio.run(check(live(), {}))
        assert c.ok is False and c.reading.endswith(": pi1: k3s v1.34.3+k3s1 -> v1.34.2+k3s1")
        store.accept(kg.id, store.report(now, "lab").unexplained[0], "bob")
        c = asyncio.run(check(live(), {}))
        assert c.ok is True and c.reading.endswith("(1 accepted)")
        assert asyncio.run(check(Live(settings=settings, snapshot=now), {})).ok is None
    finally:
        journal.close()


def test_a_stopped_container_is_gone_from_the_fingerprint() -> None:
    from actions.health.parse import parse_probe

    raw = "\n".join([
        "@@t0 100.0", "@@df", "path /", "@@docker", "rc 0",
        "gitea|exited|gitea/gitea:1.25|Exited (0) 2 minutes ago",
        "factory-postgres-1|running|postgres:16|Up 3 hours",
        "@@kernel", "6.6.51+rpt-rpi-v8", "@@t1 100.1", "@@end 1",
    ])
    reading = parse_probe(raw, 100.0, 100.2)
    assert reading.containers is not None
    assert [c.image for c in reading.containers] == ["gitea/gitea:1.25", "postgres:16"]
    assert reading.fingerprint is not None and reading.fingerprint.containers == {"factory-postgres-1": "postgres:16"}
    before = fp(containers={"gitea": "gitea/gitea:1.25", "factory-postgres-1": "postgres:16"})
    assert texts(before, fp(containers=reading.fingerprint.containers)) == ["pi2: container gitea gone"]
