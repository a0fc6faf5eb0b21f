"""Who the sandbox logs in as, and where that account keeps what it must own.

Started by root (CI, a Linux box), the sandbox creates an unprivileged system account and the sshd servers
allow only that account, so a real playbook run against the sandbox cannot change the host: no sudo, no
root files. Started by a normal user (the Mac), sshd can only log that same user in; become still fails
because the sandbox never configures sudo.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

ACCOUNT_HOME = Path("/var/lib/factory-sandbox")


class AccountError(Exception):
    """The sandbox account cannot be made or used."""


@dataclass(frozen=True)
class Account:
    """The unprivileged account the sandbox's hosts log in as."""
    user: str
    uid: int
    gid: int
    as_root: bool
    #: Files the account itself must read or own (authorized key, PostgreSQL data).
    dir: Path

    def chown(self, path: Path) -> None:
        """Give ``path`` to the account (when the sandbox is started by root)."""
        if self.as_root:
            os.chown(path, self.uid, self.gid)


def _account_dir(sandbox_dir: Path) -> Path:
    # One directory per sandbox, so a test session's sandbox never shares data with the operator's.
    key = hashlib.sha1(str(sandbox_dir.resolve()).encode()).hexdigest()[:12]
    return ACCOUNT_HOME / "sandboxes" / key


def ensure_account(name: str, sandbox_dir: Path) -> Account:
    """The sandbox's login account: the caller, or ``name`` (created when missing) when started by root."""
    if os.geteuid() != 0:
        entry = pwd.getpwuid(os.getuid())
        return Account(getpass.getuser(), entry.pw_uid, entry.pw_gid, False, sandbox_dir / "account")
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        useradd = shutil.which("useradd")
        if useradd is None:
            raise AccountError(
                "running as root but `useradd` is missing: start the sandbox as a normal user"
            ) from None
        proc = subprocess.run(
            [useradd, "--system", "--create-home", "--home-dir", str(ACCOUNT_HOME),
             "--shell", "/bin/sh", name],
            capture_output=True, text=True,
        )
        if proc.returncode != 0:
            raise AccountError(f"cannot create the sandbox account {name!r}: {proc.stderr.strip()}") from None
        entry = pwd.getpwnam(name)
    _unlock(name)
    if entry.pw_uid == 0:
        raise AccountError(f"the sandbox account {name!r} is root; choose an unprivileged one")
    return Account(name, entry.pw_uid, entry.pw_gid, True, _account_dir(sandbox_dir))


def _unlock(name: str) -> None:
    """useradd leaves the account locked ("!"), and sshd without PAM refuses locked accounts even for
    key logins; "*" keeps password login impossible while allowing keys."""
    usermod = shutil.which("usermod")
    if usermod is None:
        return
    status = subprocess.run(["passwd", "-S", name], capture_output=True, text=True).stdout.split()
    if len(status) > 1 and status[1] == "L":
        subprocess.run([usermod, "-p", "*", name], capture_output=True, check=False)


def prepare_dir(account: Account) -> Path:
    """Create the account's directory (and its parents readable by it) and return it."""
    path = account.dir
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if account.as_root:
        for parent in (ACCOUNT_HOME, ACCOUNT_HOME / "sandboxes", path):
            account.chown(parent)
            parent.chmod(0o700 if parent == path else 0o755)
    return path
