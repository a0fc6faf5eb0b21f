"""The rehearsal lab on a Mac: what it uses there, and why the Linux code does not run on it.

A Mac has no Linux namespaces; its containers run in a Linux VM (Docker Desktop, colima or a podman
machine). There the same base image is imported once from a root filesystem tarball (``docker import``
needs no registry) and each host is a container running systemd as PID 1 with its own hostname and
writable layer, on a network of the lab's own, with port 22 published on 127.0.0.1:2231-2233.
"""

from __future__ import annotations

import shutil

ENGINES = ("docker", "podman")


def engine() -> str | None:
    """The container engine found on PATH, preferring Docker (Docker Desktop and colima both provide it)."""
    return next((e for e in ENGINES if shutil.which(e)), None)


def explain() -> str:
    """One paragraph: how to rehearse on this Mac."""
    found = engine()
    how = (
        f"with {found}: `{found} import` a Debian 12 rootfs tarball built on Linux by `factory-tui sandbox up "
        f"--rehearsal` (kept in the rehearsal image dir), then `{found} run -d --privileged --cgroupns=private "
        "--hostname piN -p 127.0.0.1:223N:22 IMAGE /lib/systemd/systemd` for pi1..pi3"
        if found else "install Docker Desktop, colima or a podman machine first"
    )
    return (
        "the rehearsal hosts need Linux namespaces, which macOS has not; on a Mac they run as containers in "
        f"the container engine's Linux VM: {how}. See docs/rehearsal.md."
    )
