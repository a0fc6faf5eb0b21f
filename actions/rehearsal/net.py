"""The rehearsal lab's network: one bridge on this machine, one veth pair per host.

Each host has a network namespace of its own (its sshd listens on port 22 there, and whatever a role sets
up, firewall rules or a docker bridge, stays in it). The lab's hosts and this machine meet on a bridge
``fxr<N>`` with the subnet ``10.213.N.0/24``: this machine is ``.1``, pi1 ``.11``, pi2 ``.12`` and so on.
Nothing is routed or forwarded to anywhere else; the hosts reach Debian's mirror through the lab's apt
proxy on ``.1``. ``N`` is chosen free when a lab first comes up and kept in its state file, so two labs
never share a bridge or an address.
"""

from __future__ import annotations

import ipaddress
import subprocess

SUBNET_PREFIX = "10.213"
BRIDGE_PREFIX = "fxr"


class NetError(Exception):
    """A network device could not be made or removed; one readable line."""


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(["ip", *args], capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise NetError(f"ip {' '.join(args)}: {proc.stderr.strip() or 'failed'}")
    return proc


def bridge_name(slot: int) -> str:
    """The bridge of lab slot ``slot``."""
    return f"{BRIDGE_PREFIX}{slot}"


def gateway(slot: int) -> str:
    """This machine's address on the lab's bridge."""
    return f"{SUBNET_PREFIX}.{slot}.1"


def host_address(slot: int, index: int) -> str:
    """The address of the ``index``-th host (0-based) of lab slot ``slot``."""
    return f"{SUBNET_PREFIX}.{slot}.{11 + index}"


def veth_names(slot: int, index: int) -> tuple[str, str]:
    """(this machine's end, the host's end before it is renamed eth0 inside)."""
    return f"fxr{slot}h{index}", f"fxr{slot}c{index}"


def _used_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    out = _ip("-o", "-4", "addr", "show").stdout
    nets = []
    for line in out.splitlines():
        parts = line.split()
        if "inet" in parts:
            nets.append(ipaddress.ip_interface(parts[parts.index("inet") + 1]).network)
    return nets


def device_exists(name: str) -> bool:
    """Whether a network device of that name exists on this machine."""
    return _ip("link", "show", name, check=False).returncode == 0


def free_slot(taken: set[int]) -> int:
    """A lab slot whose bridge does not exist and whose subnet no address of this machine overlaps."""
    used = _used_networks()
    for slot in range(1, 250):
        if slot in taken or device_exists(bridge_name(slot)):
            continue
        net = ipaddress.ip_network(f"{SUBNET_PREFIX}.{slot}.0/24")
        if not any(net.overlaps(u) for u in used):
            return slot
    raise NetError(f"no free subnet left in {SUBNET_PREFIX}.0.0/16")


def ensure_bridge(slot: int) -> None:
    """Create the lab's bridge with this machine's address on it (harmless when it exists)."""
    name = bridge_name(slot)
    if not device_exists(name):
        _ip("link", "add", name, "type", "bridge")
        _ip("addr", "add", f"{gateway(slot)}/24", "dev", name)
    _ip("link", "set", name, "up")


def remove_bridge(slot: int) -> bool:
    """Delete the lab's bridge; True when one was there."""
    name = bridge_name(slot)
    if not device_exists(name):
        return False
    _ip("link", "del", name)
    return True


def add_veth(slot: int, index: int) -> str:
    """A fresh veth pair for a host, this machine's end on the bridge; returns the host's end's name."""
    outer, inner = veth_names(slot, index)
    for name in (outer, inner):
        if device_exists(name):
            _ip("link", "del", name, check=False)
    _ip("link", "add", outer, "type", "veth", "peer", "name", inner)
    _ip("link", "set", outer, "master", bridge_name(slot), "up")
    return inner


def move_into(device: str, pid: int) -> None:
    """Move ``device`` into the network namespace of ``pid``, named eth0 there."""
    _ip("link", "set", device, "netns", str(pid), "name", "eth0")


def remove_veth(slot: int, index: int) -> bool:
    """Delete a host's veth pair if it is still on this machine; True when one was there."""
    found = False
    for name in veth_names(slot, index):
        if device_exists(name):
            _ip("link", "del", name, check=False)
            found = True
    return found


def lab_devices(slot: int) -> list[str]:
    """Every device of this machine that belongs to lab slot ``slot`` (for status and the leak check)."""
    out = _ip("-o", "link", "show").stdout
    names = []
    for line in out.splitlines():
        name = line.split(":")[1].strip().split("@")[0]
        if name == bridge_name(slot) or name.startswith(f"fxr{slot}h") or name.startswith(f"fxr{slot}c"):
            names.append(name)
    return names
