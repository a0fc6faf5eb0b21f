"""The rehearsal hosts' base image: one Debian 12 root filesystem, built once with debootstrap and cached.

Every host of every rehearsal lab mounts it read-only as the lower layer of its own overlay, so a lab
starts in seconds and no two labs share a writable byte. The image is keyed by what goes into it (suite,
packages, recipe); a change to any of them builds a new one beside the old. A build that fails or is
interrupted leaves only its ``*.partial`` directory, which the next build removes first.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from actions.durations import duration_text
from actions.locks import FileLock, LockBusy

SUITE = "bookworm"
# What a Pi's Raspberry Pi OS Lite has that the roles take for granted, and what a host needs to boot.
PACKAGES = (
    "systemd", "systemd-sysv", "dbus", "openssh-server", "python3", "python3-apt", "iproute2", "sudo",
    "ca-certificates", "procps", "kmod", "iputils-ping", "less", "systemd-timesyncd", "cron", "apt-utils",
)
# Bump when the recipe below changes in a way the package list does not show.
RECIPE = 2

SSHD_DROPIN = """\
# The rehearsal host's sshd: root with a key only, like the Pis.
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
"""

Log = Callable[[str], None]
# A build takes a few minutes on a cold apt cache: how long a second lab waits for one already going.
BUILD_WAIT = 1200.0
_LOCK_POLL = 0.5


class ImageError(Exception):
    """The base image cannot be built; one readable line with the log to read."""


def key() -> str:
    """The cache key of the image this code builds."""
    text = json.dumps({"suite": SUITE, "packages": sorted(PACKAGES), "recipe": RECIPE})
    return f"{SUITE}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def image_path(image_dir: Path) -> Path:
    """Where the ready root filesystem lives (it may not exist yet)."""
    return image_dir / key() / "rootfs"


def is_ready(image_dir: Path) -> bool:
    """Whether the image is built and complete."""
    return (image_dir / key() / "ready.json").is_file()


def ensure(image_dir: Path, mirror: str | None, log: Log, wait: float = BUILD_WAIT) -> Path:
    """The image's root filesystem, built first if it is not cached. Another process building it is
    waited for (up to ``wait`` seconds), and its image is used. Raises :class:`ImageError`."""
    if is_ready(image_dir):
        return image_path(image_dir)
    image_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(image_dir / ".build.lock", "building the rehearsal base image")
    _acquire_waiting(lock, image_dir, log, wait)
    try:
        if not is_ready(image_dir):  # another process may have built it while we waited
            _build(image_dir, mirror, log)
        return image_path(image_dir)
    finally:
        lock.release()


def _acquire_waiting(lock: FileLock, image_dir: Path, log: Log, wait: float) -> None:
    """Take the build lock, waiting while another process (a second lab coming up) builds the image."""
    deadline = time.monotonic() + wait
    told = False
    while True:
        try:
            lock.acquire()
            return
        except LockBusy as busy:
            if time.monotonic() >= deadline:
                raise ImageError(
                    f"another process is still building the base image in {image_dir} after {wait:.0f} s"
                    f" ({busy}); wait for it, or remove {lock.path} if that process is gone"
                ) from None
            if not told:
                log(f"waiting for another process building the base image in {image_dir} ...")
                told = True
            time.sleep(_LOCK_POLL)


def _build(image_dir: Path, mirror: str | None, log: Log) -> None:
    final = image_dir / key()
    partial = image_dir / f"{key()}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    rootfs = partial / "rootfs"
    rootfs.mkdir(parents=True)
    build_log = partial / "debootstrap.log"
    t0 = time.monotonic()
    log(f"building the rehearsal base image ({SUITE}, {len(PACKAGES)} packages); this takes a minute or two, once")
    cmd = ["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}", SUITE, str(rootfs)]
    if mirror:
        cmd.append(mirror)
    try:
        with build_log.open("wb") as out:
            proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            raise ImageError(f"debootstrap failed (exit {proc.returncode}): {_tail(build_log)}; full log {build_log}")
        _configure(rootfs)
        (partial / "ready.json").write_text(json.dumps({
            "suite": SUITE, "packages": list(PACKAGES), "recipe": RECIPE,
            "built_at": time.time(), "seconds": round(time.monotonic() - t0, 1),
        }, indent=2))
        shutil.rmtree(final, ignore_errors=True)
        partial.rename(final)
    except BaseException:
        # Interrupted or failed: leave nothing that looks like an image.
        if not (final / "ready.json").is_file():
            shutil.rmtree(partial, ignore_errors=True)
        raise
    log(f"base image ready in {duration_text(time.monotonic() - t0)}: {final / 'rootfs'}")


def _configure(rootfs: Path) -> None:
    """What every host shares: sshd for root with keys, no host keys or machine id of its own yet."""
    (rootfs / "etc/ssh/sshd_config.d").mkdir(parents=True, exist_ok=True)
    (rootfs / "etc/ssh/sshd_config.d/factory-rehearsal.conf").write_text(SSHD_DROPIN)
    for host_key in (rootfs / "etc/ssh").glob("ssh_host_*"):
        host_key.unlink()
    # Each host gets its own host key in its upper layer; sshd must not generate others at boot.
    (rootfs / "etc/machine-id").write_text("")
    (rootfs / "var/lib/dbus").mkdir(parents=True, exist_ok=True)
    dbus_id = rootfs / "var/lib/dbus/machine-id"
    if dbus_id.is_symlink() or dbus_id.exists():
        dbus_id.unlink()
    dbus_id.symlink_to("/etc/machine-id")
    # A host has no console to ask on; nothing waits for one.
    for unit in ("getty@tty1.service", "console-getty.service"):
        (rootfs / "etc/systemd/system" / unit).unlink(missing_ok=True)
        (rootfs / "etc/systemd/system" / unit).symlink_to("/dev/null")
    subprocess.run(["chroot", str(rootfs), "apt-get", "clean"], capture_output=True)


def mirror_hosts(rootfs: Path) -> list[str]:
    """The host names in the image's apt sources: the only places the lab's apt proxy forwards to."""
    hosts: set[str] = set()
    files = [rootfs / "etc/apt/sources.list", *sorted((rootfs / "etc/apt/sources.list.d").glob("*"))]
    for f in files:
        try:
            text = f.read_text()
        except OSError:
            continue
        for word in text.split():
            if word.startswith(("http://", "https://")):
                hosts.add(word.split("/")[2].split(":")[0])
    return sorted(hosts)


def _tail(path: Path, lines: int = 3) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return "(no log)"
