"""Three real OpenSSH servers standing for the Pis: keys, config, start.

Each server has its own host key (as each Pi does), listens on its own loopback address and port,
allows public-key login for the sandbox account only, and runs in the foreground under our pid so that
`sandbox down` can stop it by pid.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import asyncssh


class SshdError(Exception):
    """sshd cannot be found, configured or started; the message says why."""
    pass


def find_sshd(configured: str | None = None) -> str:
    """The sshd binary: the configured one, else the first on PATH, in /usr/sbin or /usr/local/sbin."""
    if configured:
        if os.access(configured, os.X_OK):
            return configured
        raise SshdError(f"sshd not found at {configured} (sandbox.sshd_binary)")
    for candidate in (shutil.which("sshd"), "/usr/sbin/sshd", "/usr/local/sbin/sshd"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise SshdError("sshd not found: install OpenSSH's server (Debian: apt-get install openssh-server)")


def ensure_key(path: Path) -> str:
    """Create an ed25519 key at ``path`` unless it exists; return its public key line."""
    if not path.exists():
        key = asyncssh.generate_private_key("ssh-ed25519", comment=f"factory-sandbox {path.name}")
        path.write_bytes(key.export_private_key())
        path.chmod(0o600)
        Path(f"{path}.pub").write_bytes(key.export_public_key())
    key = asyncssh.read_private_key(str(path))
    return key.export_public_key().decode().strip()


def known_hosts_line(address: str, port: int, public_key: str) -> str:
    """The known_hosts line for a host key at ``address:port``."""
    host = address if port == 22 else f"[{address}]:{port}"
    algo, blob = public_key.split()[:2]
    return f"{host} {algo} {blob}"


def config_text(
    *, address: str, port: int, host_key: Path, pid_file: Path, authorized_keys: Path, user: str,
    strict_modes: bool,
) -> str:
    """The configuration of one sandbox host's sshd: its address, host key and the one account it lets in."""
    return "\n".join([
        "# Written by `factory-tui sandbox up`; one of the sandbox's three hosts.",
        f"ListenAddress {address}:{port}",
        f"HostKey {host_key}",
        f"PidFile {pid_file}",
        f"AuthorizedKeysFile {authorized_keys}",
        f"AllowUsers {user}",
        "PermitRootLogin no",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        f"StrictModes {'yes' if strict_modes else 'no'}",
        "PrintMotd no",
        "PrintLastLog no",
        "X11Forwarding no",
        "AllowTcpForwarding no",
        "Subsystem sftp internal-sftp",
        # Health pollers, benchmarks and Ansible forks open many sessions at once.
        "MaxSessions 64",
        "MaxStartups 200:30:400",
        "LogLevel INFO",
        "",
    ])


def start(binary: str, config: Path, log: Path) -> subprocess.Popen[bytes]:
    """Check the configuration (``sshd -t``), then start the server in the background."""
    if os.geteuid() == 0:
        # Debian's sshd refuses to start without its privilege-separation directory.
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    check = subprocess.run([binary, "-t", "-f", str(config)], capture_output=True, text=True)
    if check.returncode != 0:
        raise SshdError(f"sshd rejects {config}: {check.stderr.strip()}")
    with log.open("ab") as out:
        return subprocess.Popen(
            [binary, "-D", "-e", "-f", str(config)],
            stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True,
        )
