"""The rehearsal lab on a Mac: the same three root Debian 12 hosts, as containers of the Mac's engine.

A Mac has no Linux namespaces; its containers run in the Linux VM of Docker Desktop, colima or a podman
machine, which has them. There each host is a container running systemd as PID 1 (``--privileged`` with a
private cgroup namespace, /run and /tmp on tmpfs), with its own hostname and writable layer, on a network of
the lab's own, sshd published on 127.0.0.1:2231-2233. The image is built once from Debian 12 with the same
packages and sshd settings as the Linux base image (:mod:`actions.rehearsal.image`). CI tests the Linux
path only; this one is kept small and speaks only to the engine's command line.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from actions.rehearsal.image import PACKAGES, SSHD_DROPIN

ENGINES = ("docker", "podman")
IMAGE = "factory-rehearsal:bookworm"
NETWORK = "factory-rehearsal"
PORT_BASE = 2231


class MacError(Exception):
    """The Mac path cannot go on; one readable line."""


def engine() -> str | None:
    """The container engine on PATH, preferring Docker (Docker Desktop and colima both provide it)."""
    return next((e for e in ENGINES if shutil.which(e)), None)


def explain() -> str:
    """One paragraph for a machine where the Linux path cannot run."""
    found = engine()
    how = f"it uses {found} here" if found else "install Docker Desktop, colima or a podman machine first"
    return (
        "the rehearsal hosts need Linux namespaces; on a Mac they run as containers in the container engine's "
        f"Linux VM ({how}): `factory-tui sandbox up --rehearsal` does that. See docs/rehearsal.md."
    )


def containerfile() -> str:
    """The image: Debian 12 with what the Linux base image has, root login by key, systemd as PID 1."""
    dropin = SSHD_DROPIN.replace("\n", "\\n")
    return "\n".join([
        "FROM debian:bookworm",
        "ENV container=factory-rehearsal",
        "RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "
        + " ".join(PACKAGES) + " && apt-get clean",
        f"RUN printf '{dropin}' > /etc/ssh/sshd_config.d/factory-rehearsal.conf && rm -f /etc/ssh/ssh_host_* "
        "&& : > /etc/machine-id",
        "STOPSIGNAL SIGRTMIN+3",
        'CMD ["/lib/systemd/systemd"]',
        "",
    ])


def _run(argv: list[str], *, input_text: str | None = None) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, input=input_text)
    if proc.returncode != 0:
        raise MacError(f"{' '.join(argv[:3])}: {proc.stderr.strip() or 'failed'}")
    return proc.stdout


def build(tool: str) -> None:
    """Build the image once (the engine caches it)."""
    _run([tool, "build", "-t", IMAGE, "-"], input_text=containerfile())


def start_host(tool: str, name: str, index: int, client_pub: str, host_key: Path) -> str:
    """Run one host and put its keys in; returns ``127.0.0.1:PORT``."""
    port = PORT_BASE + index
    subprocess.run([tool, "network", "create", NETWORK], capture_output=True)
    _run([tool, "run", "-d", "--name", f"factory-rehearsal-{name}", "--hostname", name, "--privileged",
          "--cgroupns=private", "--tmpfs", "/run", "--tmpfs", "/tmp", "--network", NETWORK,
          "-p", f"127.0.0.1:{port}:22", IMAGE])
    cname = f"factory-rehearsal-{name}"
    _run([tool, "exec", "-i", cname, "sh", "-c", "mkdir -p -m 700 /root/.ssh && cat > /root/.ssh/authorized_keys"],
         input_text=client_pub + "\n")
    _run([tool, "exec", "-i", cname, "sh", "-c", "cat > /etc/ssh/ssh_host_ed25519_key && chmod 600 "
          "/etc/ssh/ssh_host_ed25519_key"], input_text=host_key.read_text())
    _run([tool, "exec", cname, "systemctl", "restart", "ssh"])
    return f"127.0.0.1:{port}"


def stop_all(tool: str, names: list[str]) -> None:
    """Remove the hosts (and their writable layers) and the lab's network."""
    for name in names:
        subprocess.run([tool, "rm", "-f", f"factory-rehearsal-{name}"], capture_output=True)
    subprocess.run([tool, "network", "rm", NETWORK], capture_output=True)
