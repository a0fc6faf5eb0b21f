"""Each rehearsal host's own cgroups: made under this process's cgroup in every v1 hierarchy (so the host
stays inside whatever limits the machine puts on us), joined before the host's cgroup namespace is made,
and removed, deepest first, once the host is down. They are also how `down` finds every process of a host.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
# The hierarchies systemd needs inside (name=systemd is its own). The unified (v2) one is joined too:
# systemd mounts it inside, and without a cgroup of its own there every host would share the machine's
# root v2 cgroup (and leave system.slice behind in it).
HIERARCHIES = ("cpu", "cpuacct", "blkio", "memory", "devices", "freezer", "pids", "cpuset", "systemd", "unified")


class CgroupError(Exception):
    """A cgroup could not be made; one readable line."""


def _own_paths() -> dict[str, str]:
    """This process's cgroup path in each v1 hierarchy, from /proc/self/cgroup."""
    paths: dict[str, str] = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controllers == "":
            paths["unified"] = path
        for c in controllers.split(","):
            paths[c.removeprefix("name=")] = path
    return paths


def _hierarchy_dirs(tag: str) -> dict[str, Path]:
    own = _own_paths()
    return {
        h: CGROUP_ROOT / h / own[h].lstrip("/") / f"factory-rehearsal-{tag}"
        for h in HIERARCHIES
        if (CGROUP_ROOT / h).is_dir() and h in own
    }


def host_dirs(tag: str) -> list[Path]:
    """The cgroup directories of host ``tag`` (e.g. ``fxr3-pi1``), one per hierarchy present here."""
    return list(_hierarchy_dirs(tag).values())


def create(tag: str) -> list[Path]:
    """Make the host's cgroups; cpuset needs its cpus and mems copied from the parent first."""
    dirs = _hierarchy_dirs(tag)
    missing = [h for h in HIERARCHIES if h not in dirs]
    if missing:
        raise CgroupError(
            f"this machine lacks the cgroup v1 hierarchies {', '.join(missing)} under {CGROUP_ROOT}; "
            "systemd cannot run in a rehearsal host"
        )
    try:
        for h, d in dirs.items():
            d.mkdir(exist_ok=True)
            if h == "cpuset":
                for f in ("cpuset.cpus", "cpuset.mems"):
                    (d / f).write_text((d.parent / f).read_text())
    except OSError as exc:
        raise CgroupError(f"cannot make the host's cgroups: {exc.strerror} ({exc.filename})") from None
    return list(dirs.values())


def pids(tag: str) -> list[int]:
    """Every process of the host, from its pids (or any) hierarchy, recursively."""
    found: set[int] = set()
    for d in host_dirs(tag):
        if not d.is_dir():
            continue
        for procs in d.rglob("cgroup.procs"):
            try:
                found.update(int(p) for p in procs.read_text().split())
            except OSError:
                continue
        if found:
            break
    return sorted(found)


def kill_all(tag: str, timeout: float = 5.0) -> list[int]:
    """SIGKILL every process of the host until none is left (a fork in between is caught next round)."""
    killed: list[int] = []
    deadline = time.monotonic() + timeout
    while True:
        left = pids(tag)
        if not left:
            return killed
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            except ProcessLookupError:
                pass
        if time.monotonic() > deadline:
            return killed
        time.sleep(0.05)


def remove(tag: str) -> None:
    """Remove the host's cgroups, the ones systemd made inside them first."""
    for d in host_dirs(tag):
        if not d.is_dir():
            continue
        for sub in sorted((p for p in d.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
            with contextlib.suppress(OSError):
                sub.rmdir()
        with contextlib.suppress(OSError):
            d.rmdir()


def leftovers(tag: str) -> list[Path]:
    """The host's cgroup directories still present (for the leak check)."""
    return [d for d in host_dirs(tag) if d.exists()]
