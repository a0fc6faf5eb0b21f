"""The rehearsal hosts, for real: root Debian 12 systems with systemd, whose changes stay inside them.

Each test logs in with a real ssh client as root. The isolation tests do what a playbook does as root
(write under /etc, install a Debian package, start a unit, try kernel-wide settings) and look for it on this
machine and on the other hosts.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from actions import rehearsal
from actions.config import Settings
from actions.lab import load_lab
from actions.rehearsal import cgroups, image, net
from tests.conftest import cli_env, make_settings, root_ssh

CLI = [sys.executable, "-m", "tui.cli"]
Lab = tuple[Settings, rehearsal.RehearsalStatus]


def address(lab: Lab, name: str) -> str:
    return next(h.address for h in lab[1].hosts if h.name == name)


def test_each_host_is_a_root_debian_system_with_systemd_running(rehearsal_lab: Lab) -> None:
    settings, st = rehearsal_lab
    assert [h.name for h in st.hosts] == ["pi1", "pi2", "pi3"] and st.all_up
    ids = set()
    for h in st.hosts:
        out = root_ssh(settings, h.address, "id -u; hostname; . /etc/os-release; echo $VERSION_CODENAME; "
                       "systemctl is-system-running; cat /etc/machine-id; ps -p 1 -o comm=")
        assert out.returncode == 0, out.stderr
        uid, name, codename, state, machine_id, pid1 = out.stdout.split()
        assert (uid, name, codename, state, pid1) == ("0", h.name, "bookworm", "running", "systemd")
        ids.add(machine_id)
    assert len(ids) == 3, "each host has its own machine id"


def test_inventory_has_the_real_groups_root_and_the_sandbox_key(rehearsal_lab: Lab) -> None:
    settings, st = rehearsal_lab
    lab = load_lab(st.inventory)
    real = load_lab(Path(__file__).resolve().parents[2] / "ansible" / "inventory" / "hosts.yml")
    assert lab.kind == "rehearsal" and lab.groups == real.groups
    assert {h.user for h in lab.hosts} == {"root"}
    assert all(h.known_hosts == settings.sandbox_dir / "known_hosts" for h in lab.hosts)
    assert [h.address for h in lab.hosts] == [h.address for h in st.hosts]


def test_a_file_under_etc_and_a_package_installed_inside_do_not_show_outside(rehearsal_lab: Lab) -> None:
    settings, _ = rehearsal_lab
    marker = f"/etc/factory-rehearsal-{secrets.token_hex(4)}"
    out = root_ssh(settings, address(rehearsal_lab, "pi1"),
                   f"echo inside > {marker} && apt-get update -qq && DEBIAN_FRONTEND=noninteractive "
                   "apt-get install -y -qq hello >/dev/null && hello && dpkg -s hello | grep -q 'ok installed'")
    assert out.returncode == 0, out.stderr
    assert "Hello, world!" in out.stdout
    assert not Path(marker).exists(), "the file reached this machine"
    assert not Path("/usr/bin/hello").exists(), "the package reached this machine"
    host_dpkg = subprocess.run(["dpkg", "-s", "hello"], capture_output=True, text=True)
    assert host_dpkg.returncode != 0, "this machine's package database changed"
    other = root_ssh(settings, address(rehearsal_lab, "pi2"), f"test -e {marker} || test -e /usr/bin/hello; echo $?")
    assert other.stdout.strip() == "1", "another host sees pi1's changes"


def test_kernel_wide_settings_clock_and_modules_are_out_of_reach(rehearsal_lab: Lab) -> None:
    settings, _ = rehearsal_lab
    before = Path("/proc/sys/kernel/domainname").read_text()
    out = root_ssh(settings, address(rehearsal_lab, "pi2"),
                   "sysctl -w kernel.domainname=rehearsal-was-here; echo sysctl=$?; "
                   "date -s '2001-01-01' >/dev/null 2>&1; echo date=$?; "
                   "modprobe dummy 2>/dev/null; echo modprobe=$?; "
                   "ls /dev | tr '\\n' ' '")
    assert "sysctl=0" not in out.stdout and "date=0" not in out.stdout and "modprobe=0" not in out.stdout
    assert Path("/proc/sys/kernel/domainname").read_text() == before
    devices = out.stdout.splitlines()[-1].split()
    assert not [d for d in devices if d.startswith(("sd", "vd", "nvme", "loop", "mmcblk"))], devices


def test_a_unit_started_inside_runs_inside_only(rehearsal_lab: Lab) -> None:
    settings, _ = rehearsal_lab
    out = root_ssh(settings, address(rehearsal_lab, "pi3"),
                   "systemd-run --unit factory-probe sleep 300 && systemctl is-active factory-probe")
    assert out.stdout.strip() == "active", out.stderr
    mine = subprocess.run(["pgrep", "-f", "^sleep 300$"], capture_output=True, text=True).stdout.split()
    hosts_pid = root_ssh(settings, address(rehearsal_lab, "pi3"), "systemctl show -p MainPID --value factory-probe")
    assert hosts_pid.stdout.strip() not in ("", "0")
    # The process exists on this machine (as every container's does) but in the host's own pid namespace.
    for pid in mine:
        assert os.readlink(f"/proc/{pid}/ns/pid") != os.readlink("/proc/self/ns/pid")
    root_ssh(settings, address(rehearsal_lab, "pi3"), "systemctl stop factory-probe")


def test_status_json_lists_the_hosts(rehearsal_lab: Lab) -> None:
    settings, st = rehearsal_lab
    out = subprocess.run([*CLI, "sandbox", "status", "--json"], env=cli_env(settings), capture_output=True,
                         text=True, timeout=60)
    doc = json.loads(out.stdout)
    assert [h["name"] for h in doc["rehearsal"]["hosts"]] == ["pi1", "pi2", "pi3"]
    assert doc["rehearsal"]["all_up"] is True
    assert doc["rehearsal"]["bridge"] == st.bridge


def test_two_labs_share_no_disk_or_address_and_down_leaves_nothing(rehearsal_lab: Lab, tmp_path: Path) -> None:
    settings, st = rehearsal_lab
    other = make_settings(tmp_path / "state")
    ost = rehearsal.up(other)
    try:
        assert ost.slot != st.slot
        assert {h.address for h in ost.hosts}.isdisjoint({h.address for h in st.hosts})
        marker = f"/root/lab-{secrets.token_hex(4)}"
        assert root_ssh(other, ost.hosts[0].address, f"touch {marker}").returncode == 0
        seen = root_ssh(settings, st.hosts[0].address, f"test -e {marker}; echo $?")
        assert seen.stdout.strip() == "1", "two labs share pi1's filesystem"
        # A failed converge leaves the host inspectable: down is what ends it, not an error.
        assert root_ssh(other, ost.hosts[0].address, "false").returncode == 1
        assert root_ssh(other, ost.hosts[0].address, "true").returncode == 0
    finally:
        rehearsal.down(other, purge=False)
    assert_nothing_left(other, ost)
    # Kept for the next `up` until purged.
    assert (other.rehearsal_dir / "hosts" / "pi1" / "upper" / marker.lstrip("/")).exists()
    # While it was down, a third lab may take its addresses: coming back, it takes others.
    third = make_settings(tmp_path / "third")
    tst = rehearsal.up(third)
    try:
        back = rehearsal.up(other)
        try:
            assert back.slot not in (tst.slot, st.slot) and back.all_up
            assert root_ssh(other, back.hosts[0].address, f"test -e {marker}").returncode == 0, "its disk came back"
        finally:
            rehearsal.down(other, purge=True)
    finally:
        rehearsal.down(third, purge=True)
    assert not other.rehearsal_dir.exists()


def assert_nothing_left(settings: Settings, st: rehearsal.RehearsalStatus) -> None:
    """No process, cgroup, network device or mount of the lab is left on this machine."""
    assert st.slot is not None
    assert net.lab_devices(st.slot) == []
    for h in st.hosts:
        assert cgroups.leftovers(f"fxr{st.slot}-{h.name}") == []
    lab_dir = str(settings.rehearsal_dir)
    assert lab_dir not in Path("/proc/self/mounts").read_text()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            state = (proc / "stat").read_text().split(") ", 1)[1].split()[0]
            args = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if state != "Z":  # a stopped lab's unshare may wait a moment for this VM's init to reap it
            assert lab_dir not in args, f"pid {proc.name} left running: {args}"


def test_up_that_cannot_boot_stops_what_it_started(tmp_path: Path) -> None:
    # An image with no systemd in it: the hosts' namespaces are made, their boot fails.
    images = tmp_path / "images"
    rootfs = image.image_path(images)
    for d in ("proc", "sys", "dev", "run", "tmp", "etc/apt", "root"):
        (rootfs / d).mkdir(parents=True)
    (rootfs / "etc/apt/sources.list").write_text("deb http://mirror.invalid/debian bookworm main\n")
    (rootfs.parent / "ready.json").write_text("{}")
    settings = make_settings(tmp_path / "state", rehearsal={"image_dir": images, "boot_timeout": 30})
    with pytest.raises(rehearsal.RehearsalError, match="did not start sshd"):
        rehearsal.up(settings)
    st = rehearsal.status(settings)
    assert not st.any_up
    assert_nothing_left(settings, st)


def test_missing_debootstrap_is_named_and_nothing_is_started(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bare = tmp_path / "bin"
    bare.mkdir()
    for tool in ("ip", "unshare", "nsenter", "setpriv", "mount", "chroot", "ssh-keygen"):
        found = subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True, text=True).stdout.strip()
        (bare / tool).symlink_to(found)
    monkeypatch.setenv("PATH", str(bare))
    settings = make_settings(tmp_path / "state", rehearsal={"image_dir": tmp_path / "no-image"})
    with pytest.raises(rehearsal.RehearsalError, match=r"install debootstrap"):
        rehearsal.up(settings)
    assert rehearsal.status(settings).slot is None
    assert not (tmp_path / "no-image").exists() or not any((tmp_path / "no-image").iterdir())


def test_not_root_is_named_and_nothing_is_started() -> None:
    import shutil
    import tempfile

    # pytest's own temp dirs are root's alone: this one must be reachable by nobody.
    tmp_path = Path(tempfile.mkdtemp(prefix="factory-notroot-"))
    state = tmp_path / "state"
    state.mkdir()
    os.chmod(tmp_path, 0o777)
    os.chmod(state, 0o777)
    code = (
        "from pathlib import Path\n"
        "from actions import rehearsal\n"
        "from tests.conftest import make_settings\n"
        f"s = make_settings(Path({str(state)!r}))\n"
        "try:\n"
        "    rehearsal.up(s)\n"
        "except rehearsal.RehearsalError as exc:\n"
        "    print(exc)\n"
        "print('slot', rehearsal.status(s).slot)\n"
    )
    out = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", code],
        capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "HOME": str(tmp_path)},
    )
    shutil.rmtree(tmp_path, ignore_errors=True)
    assert "it must run as root" in out.stdout, out.stdout + out.stderr
    assert "slot None" in out.stdout


def test_health_reads_the_hosts_and_their_clock_is_the_machines(rehearsal_lab: Lab) -> None:
    # No NTP client runs in a container: its clock is this machine's, which the probe's offset measures.
    settings, _ = rehearsal_lab
    out = subprocess.run([*CLI, "-i", "rehearsal", "health", "--once", "--json"], env=cli_env(settings),
                         capture_output=True, text=True, timeout=120)
    doc = json.loads(out.stdout)
    hosts = doc["hosts"]
    assert [h["name"] for h in hosts] == ["pi1", "pi2", "pi3"] and {h["connection"] for h in hosts} == {"up"}
    for h in hosts:
        clock = {f["signal"]: f for f in h["findings"]}
        assert clock["clock sync"]["status"] == "ok", h["findings"]
        assert clock["clock offset"]["status"] == "ok", h["findings"]
    # pi2 is the backup host: its dumps and the off-site copy are watched (the sandbox's are not).
    watched = {h["name"]: h["offsite"] is not None for h in hosts}
    assert watched == {"pi1": False, "pi2": True, "pi3": False}, watched
    pi2 = next(h for h in hosts if h["name"] == "pi2")
    assert pi2["signals"]["backup_root"] == "/mnt/backups"
    assert pi2["offsite"]["file"] == "/var/lib/factory-backup/offsite.status"
