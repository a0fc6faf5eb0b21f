"""Pure parsers for the probe's fingerprint sections (``PRINT=1``) into a :class:`Fingerprint`.

The fingerprint is what the diff compares: kernel and OS release, k3s version and node readiness,
failed units, containers and their images, real mounts, disk use, listening TCP sockets, throttle bits
seen since boot and the installed packages. Pseudo filesystems, the per-pod mounts of k3s and docker and
listeners on random ports come and go on a healthy host, so they are left out.
"""

from __future__ import annotations

import ipaddress
import re

from actions.health.models import Fingerprint, Reading

#: Filesystem types that are not storage: mounted by the kernel, systemd or the container runtimes.
PSEUDO_FS = frozenset({
    "proc", "sysfs", "cgroup", "cgroup2", "devpts", "mqueue", "tmpfs", "devtmpfs", "securityfs", "debugfs",
    "tracefs", "pstore", "bpf", "autofs", "configfs", "fusectl", "hugetlbfs", "binfmt_misc", "nsfs",
    "overlay", "ramfs", "efivarfs", "rpc_pipefs", "shm", "fuse.lxcfs", "squashfs",
})
#: Mount points under these belong to running pods and containers, not to the host's layout.
VOLATILE_PREFIXES = (
    "/proc", "/sys", "/dev", "/run", "/var/lib/kubelet", "/var/lib/docker", "/var/lib/containerd",
    "/var/lib/rancher/k3s/agent/containerd", "/snap",
)
LISTEN_STATE = "0A"


def _unescape(path: str) -> str:
    """``/proc/mounts`` writes a space as ``\\040`` (and tab, newline, backslash alike)."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), path)


def _volatile(mount: str) -> bool:
    return any(mount == p or mount.startswith(p + "/") for p in VOLATILE_PREFIXES)


def parse_mounts(text: str) -> dict[str, str]:
    """``/proc/mounts`` lines -> {mount point: filesystem type}, storage only."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        mount, fstype = _unescape(parts[1]), parts[2]
        if fstype in PSEUDO_FS or _volatile(mount):
            continue
        out[mount] = fstype
    return out


def parse_df_all(text: str) -> dict[str, float]:
    """``df -P -k`` of every mount -> {mount point: % used}, rounded to a whole percent."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 6 or parts[0] == "Filesystem":
            continue
        mount = " ".join(parts[5:])
        if _volatile(mount):
            continue
        try:
            used, avail = int(parts[2]), int(parts[3])
        except ValueError:
            continue
        total = used + avail
        out[mount] = round(100.0 * used / total) if total else 0.0
    return out


def _address(hex_addr: str) -> str | None:
    """The kernel's hex address (each 32-bit word in host order, little-endian here) as text."""
    try:
        raw = bytes.fromhex(hex_addr)
    except ValueError:
        return None
    if len(raw) not in (4, 16):
        return None
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    addr = ipaddress.ip_address(words)
    return str(addr) if addr.version == 4 else f"[{addr}]"


def parse_port_range(text: str) -> tuple[int, int] | None:
    """``/proc/sys/net/ipv4/ip_local_port_range``: the ports the kernel hands out at random."""
    parts = text.split()
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        return int(parts[0]), int(parts[1])
    return None


def parse_listening(text: str, ephemeral: tuple[int, int] | None = None) -> list[str]:
    """``/proc/net/tcp`` and ``tcp6`` -> sorted ``address:port`` of every listening socket.

    A socket on a port of the ``ephemeral`` range was given its port at random (containerd's stream
    server, a test's listener): it is not part of the host's shape, and would differ after every restart.
    """
    found: set[str] = set()
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 4 or parts[3] != LISTEN_STATE or ":" not in parts[1]:
            continue
        hex_addr, _, hex_port = parts[1].partition(":")
        addr = _address(hex_addr)
        try:
            port = int(hex_port, 16)
        except ValueError:
            continue
        if ephemeral is not None and ephemeral[0] <= port <= ephemeral[1]:
            continue
        if addr is not None:
            found.add(f"{addr}:{port}")
    return sorted(found)


def parse_failed(text: str) -> list[str] | None:
    """``systemd`` then ``systemctl list-units --failed --plain --no-legend`` -> unit names; ``None`` where
    systemd does not run (the probe then prints nothing)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or lines[0].strip() != "systemd":
        return None
    return sorted({line.split()[0] for line in lines[1:]})


def parse_k3s_version(text: str) -> str | None:
    """``k3s version v1.34.3+k3s1 (abc123)`` -> ``v1.34.3+k3s1``."""
    match = re.search(r"\bv\d+\.\d+\.\d+\S*", text)
    return match.group(0) if match else None


def parse_packages(text: str) -> tuple[int | None, str | None]:
    """``wc -l`` then ``cksum`` of the sorted ``package=version`` list."""
    lines = [line.split() for line in text.splitlines() if line.strip()]
    count = int(lines[0][0]) if lines and lines[0][0].isdigit() else None
    digest = lines[1][0] if len(lines) > 1 and lines[1] else None
    return count, digest


def build(sections: dict[str, str], reading: Reading) -> Fingerprint | None:
    """The fingerprint from the probe's sections and the reading of the same round trip (containers,
    nodes and throttle bits are already parsed there); ``None`` when the answer holds no fingerprint."""
    if "kernel" not in sections:
        return None
    count, digest = parse_packages(sections.get("pkgs", ""))
    return Fingerprint(
        taken_at=reading.taken_at,
        kernel=sections["kernel"].strip() or None,
        os_release=sections.get("osrel", "").strip() or None,
        k3s_version=parse_k3s_version(sections.get("k3sver", "")),
        nodes_ready={n.name: n.ready for n in reading.nodes} if reading.nodes is not None else None,
        failed_units=parse_failed(sections.get("failed", "")),
        # Running ones only: a container that stopped is gone from the working state, though docker keeps it.
        containers={c.name: c.image for c in reading.containers if c.state == "running"}
        if reading.containers is not None else None,
        mounts=parse_mounts(sections.get("mounts", "")),
        disk_used_pct=parse_df_all(sections.get("dfall", "")),
        listening=parse_listening(sections.get("listen", ""), parse_port_range(sections.get("portrange", ""))),
        throttled_since_boot=reading.throttle.since_boot if reading.throttle is not None else None,
        packages=count,
        packages_hash=digest,
    )
