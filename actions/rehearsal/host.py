"""One rehearsal host: a Debian 12 system with systemd as PID 1 and its own root filesystem, hostname,
network, cgroups, /etc, package database and units.

It is made of Linux namespaces (mount, pid, net, uts, ipc, cgroup) entered with ``unshare``, an overlay of
the cached base image with a writable layer of its own, and a veth pair on the lab's bridge (see
``boot.sh`` for what is mounted and which capabilities are dropped). Its processes live in cgroups of its
own, so stopping it finds every one of them.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import time
from importlib import resources
from pathlib import Path

from pydantic import BaseModel

from actions.rehearsal import cgroups, net

PI_CMDLINE = "console=serial0,115200 console=tty1 root=PARTUUID=6c586e13-02 rootfstype=ext4 fsck.repair=yes rootwait\n"
MASKED_UNITS = ("systemd-tmpfiles-setup-dev.service", "systemd-tmpfiles-setup-dev-early.service")


class HostError(Exception):
    """A host cannot start or stop; one readable line."""


class HostSpec(BaseModel):
    """Where a host lives and how it is reached."""

    name: str
    index: int
    slot: int
    dir: Path
    groups: list[str] = []

    @property
    def address(self) -> str:
        """The host's address on its lab's network."""
        return net.host_address(self.slot, self.index)

    @property
    def tag(self) -> str:
        """The name of the host's cgroups (``fxr<slot>-<name>``), unique to its lab's slot."""
        return f"fxr{self.slot}-{self.name}"

    @property
    def upper(self) -> Path:
        """The host's own writable layer over the shared image."""
        return self.dir / "upper"

    @property
    def console_log(self) -> Path:
        """The host's boot log."""
        return self.dir / "boot.log"


def boot_script() -> Path:
    """The boot script shipped with the package."""
    return Path(str(resources.files("actions.rehearsal") / "boot.sh"))


def prepare(spec: HostSpec, *, client_pub: str, host_key: Path, hosts_lines: list[str], proxy: str) -> None:
    """Write what makes the host itself into its writable layer: keys, name, peers, apt's proxy."""
    up = spec.upper
    for d in ("root/.ssh", "etc/ssh", "etc/apt/apt.conf.d"):
        (up / d).mkdir(parents=True, exist_ok=True)
    (up / "root").chmod(0o700)
    (up / "root/.ssh").chmod(0o700)
    auth = up / "root/.ssh/authorized_keys"
    auth.write_text(client_pub + "\n")
    auth.chmod(0o600)
    for suffix, mode in (("", 0o600), (".pub", 0o644)):
        target = up / f"etc/ssh/ssh_host_ed25519_key{suffix}"
        target.write_bytes(Path(f"{host_key}{suffix}").read_bytes())
        target.chmod(mode)
    (up / "etc/hostname").write_text(spec.name + "\n")
    (up / "etc/hosts").write_text(
        "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n"
        f"127.0.1.1 {spec.name}\n" + "".join(line + "\n" for line in hosts_lines)
    )
    (up / "etc/apt/apt.conf.d/01factory-rehearsal-proxy").write_text(
        "// The rehearsal lab reaches Debian only through its proxy on this machine.\n"
        f'Acquire::http::Proxy "{proxy}";\n'
    )
    # Units that need what a host deliberately lacks (device nodes of its own making): masked, as
    # container managers do, so that systemd reports a clean boot.
    units = up / "etc/systemd/system"
    units.mkdir(parents=True, exist_ok=True)
    for unit in MASKED_UNITS:
        link = units / unit
        if not link.is_symlink():
            link.unlink(missing_ok=True)
            link.symlink_to("/dev/null")
    # What Raspberry Pi OS has and the roles edit: the kernel command line, one line ending in a newline.
    cmdline = up / "boot/firmware/cmdline.txt"
    if not cmdline.exists():
        cmdline.parent.mkdir(parents=True, exist_ok=True)
        cmdline.write_text(PI_CMDLINE)
    machine_id = up / "etc/machine-id"
    if not machine_id.exists() or not machine_id.read_text().strip():
        machine_id.write_text(secrets.token_hex(16) + "\n")
    # No DNS in the lab: peers come from /etc/hosts, packages through the proxy.
    resolv = up / "etc/resolv.conf"
    if resolv.is_symlink() or not resolv.exists():
        resolv.unlink(missing_ok=True)
        resolv.write_text("# The rehearsal lab has no DNS server; see /etc/hosts.\n")


def start(spec: HostSpec, lower: Path) -> tuple[int, int]:
    """Boot the host; return (the unshare process's pid, systemd's pid as this machine sees it)."""
    for d in (spec.upper, spec.dir / "work", spec.dir / "root"):
        d.mkdir(parents=True, exist_ok=True)
    dirs = cgroups.create(spec.tag)
    inner = net.add_veth(spec.slot, spec.index)
    # The shell joins the host's cgroups, then becomes unshare: the namespaces are made from inside them.
    join = 'for g in "$@"; do case "$g" in --) break;; esac; echo $$ > "$g/cgroup.procs"; shift; done; ' \
        'shift; exec "$@"'
    argv = [
        "sh", "-c", join, "sh", *map(str, dirs), "--",
        "unshare", "--cgroup", "--mount", "--pid", "--net", "--uts", "--ipc", "--fork", "--propagation", "private",
        "sh", str(boot_script()), str(spec.dir / "root"), str(lower), str(spec.upper), str(spec.dir / "work"),
        spec.name, f"{spec.address}/24", net.gateway(spec.slot),
    ]
    with spec.console_log.open("ab") as log:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        _wait_new_netns(proc)
        net.move_into(inner, proc.pid)
        pid1 = _wait_child(proc)
    except HostError:
        stop(spec, proc.pid)
        raise
    return proc.pid, pid1


def _wait_new_netns(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    own = os.readlink("/proc/self/ns/net")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise HostError(f"the host's namespaces could not be made (exit {proc.returncode})")
        try:
            if os.readlink(f"/proc/{proc.pid}/ns/net") != own and _comm(proc.pid) == "unshare":
                return
        except OSError:
            pass
        time.sleep(0.02)
    raise HostError("the host's namespaces did not appear within 10 s")


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _wait_child(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        except OSError:
            children = []
        if children:
            return int(children[0])
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    raise HostError("the host's first process did not start")


def nsenter(pid1: int) -> list[str]:
    """The argv prefix that runs a command inside the host (as its root, in its filesystem)."""
    return ["nsenter", "-t", str(pid1), "-m", "-p", "-u", "-i", "-n", "-C", "-r", "-w"]


def exec_in(pid1: int, argv: list[str], timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` inside the host and return its result."""
    return subprocess.run([*nsenter(pid1), *argv], capture_output=True, text=True, timeout=timeout)


def wait_running(pid1: int, timeout: float = 60.0) -> str:
    """Wait until systemd has finished booting; return its state (running, degraded, ...)."""
    try:
        out = exec_in(pid1, ["systemctl", "is-system-running", "--wait"], timeout=timeout)
    except subprocess.TimeoutExpired:
        return "starting"
    return out.stdout.strip() or out.stderr.strip()


def failed_units(pid1: int) -> list[str]:
    """The names of the host's failed units."""
    try:
        out = exec_in(pid1, ["systemctl", "--failed", "--no-legend", "--plain"], timeout=15)
    except subprocess.TimeoutExpired:
        return []
    return [line.split()[0] for line in out.stdout.splitlines() if line.strip()]


def systemd_pid(unshare_pid: int) -> int | None:
    """systemd's pid (as this machine sees it) under a running host's unshare process."""
    try:
        children = Path(f"/proc/{unshare_pid}/task/{unshare_pid}/children").read_text().split()
    except OSError:
        return None
    return int(children[0]) if children else None


def stop(spec: HostSpec, unshare_pid: int | None, timeout: float = 20.0) -> None:
    """Power the host off (systemd stops its units), then make sure no process, cgroup or device is left."""
    pid1 = systemd_pid(unshare_pid) if unshare_pid else None
    if pid1:
        with contextlib.suppress(subprocess.TimeoutExpired, OSError):
            exec_in(pid1, ["systemctl", "poweroff", "--no-block"], timeout=10)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and cgroups.pids(spec.tag):
            time.sleep(0.1)
    cgroups.kill_all(spec.tag)
    if unshare_pid:
        _reap(unshare_pid)
    cgroups.remove(spec.tag)
    net.remove_veth(spec.slot, spec.index)


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def running(unshare_pid: int | None) -> bool:
    """Whether the host's namespace still has its systemd."""
    return bool(unshare_pid) and _comm(unshare_pid or 0) == "unshare" and systemd_pid(unshare_pid or 0) is not None
