"""What a rehearsal lab needs from this machine, checked before anything is started, each missing thing
named with how to get it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from actions.rehearsal import cgroups

# Tool -> where it comes from on Debian.
TOOLS = {
    "unshare": "util-linux", "nsenter": "util-linux", "setpriv": "util-linux", "mount": "mount",
    "chroot": "coreutils", "ip": "iproute2", "ssh-keygen": "openssh-client",
}
IMAGE_BYTES = 1_500 * 2**20  # debootstrap's tree is ~330 MB; room for apt and a margin
LAB_BYTES = 1_000 * 2**20  # three hosts' writable layers after the playbooks' packages


class PreflightError(Exception):
    """Something the lab needs is missing; the message says what and how to get it."""


def check(image_dir: Path, lab_dir: Path, *, need_image: bool) -> None:
    """Raise :class:`PreflightError` naming every missing thing at once."""
    problems: list[str] = []
    if os.geteuid() != 0:
        problems.append("it must run as root (it makes namespaces, overlay mounts and network devices): use sudo")
    tools = dict(TOOLS)
    if need_image:
        tools["debootstrap"] = "debootstrap"
    missing = sorted({pkg for tool, pkg in tools.items() if not _which(tool)})
    if missing:
        problems.append(f"missing tools: install {' '.join(missing)} (apt-get install {' '.join(missing)})")
    if "overlay" not in _filesystems():
        problems.append("the kernel has no overlay filesystem (modprobe overlay)")
    absent = [h for h in cgroups.HIERARCHIES if not (cgroups.CGROUP_ROOT / h).is_dir()]
    if absent:
        problems.append(f"no cgroup v1 hierarchy for {', '.join(absent)} under {cgroups.CGROUP_ROOT}")
    need = (IMAGE_BYTES if need_image else 0) + LAB_BYTES
    free = _free(lab_dir) if _same_fs(image_dir, lab_dir) else min(_free(lab_dir), _free(image_dir))
    if free < need:
        problems.append(f"not enough disk space: {free // 2**20} MiB free, {need // 2**20} MiB needed "
                        f"({lab_dir}{'' if _same_fs(image_dir, lab_dir) else f' and {image_dir}'})")
    if problems:
        raise PreflightError("the rehearsal lab cannot start: " + "; ".join(problems))


def _which(tool: str) -> bool:
    # PATH only: the lab runs these tools by name, so one found elsewhere would fail later, half-started.
    return shutil.which(tool) is not None


def _filesystems() -> str:
    try:
        return Path("/proc/filesystems").read_text()
    except OSError:
        return ""


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _free(path: Path) -> int:
    return shutil.disk_usage(_existing(path)).free


def _same_fs(a: Path, b: Path) -> bool:
    return _existing(a).stat().st_dev == _existing(b).stat().st_dev
