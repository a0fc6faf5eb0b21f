"""The sandbox's PostgreSQL: a real server on a loopback port, run by the unprivileged sandbox account
(initdb and postgres refuse root). Superuser `postgres`, trust authentication on loopback only.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

from actions.sandbox.account import Account


class PostgresError(Exception):
    """PostgreSQL cannot be set up or started; the message says why."""
    pass


def find_bindir() -> Path:
    """Debian keeps the server binaries out of PATH; Homebrew and others put them on it."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    for directory in reversed(candidates):
        if os.access(Path(directory) / "postgres", os.X_OK):
            return Path(directory)
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True).stdout.strip()
        if out and os.access(Path(out) / "postgres", os.X_OK):
            return Path(out)
    found = shutil.which("postgres")
    if found:
        return Path(found).parent
    raise PostgresError("PostgreSQL server not found: install it (Debian: apt-get install postgresql)")


def _as(account: Account) -> dict[str, object]:
    return {"user": account.uid, "group": account.gid, "extra_groups": []} if account.as_root else {}


def start_initdb(bindir: Path, data: Path, account: Account, log: Path) -> subprocess.Popen[bytes] | None:
    """Begin creating the cluster (the slowest part of `sandbox up`), or None when it exists already.

    It runs in the background while the other parts start; :func:`finish_initdb` waits for it.
    ``--no-sync`` because a rehearsal database need not survive a power cut of this machine.
    """
    if (data / "PG_VERSION").exists():
        return None
    if data.exists():
        # Left by an initdb that a failed `up` stopped halfway; initdb wants an empty directory.
        shutil.rmtree(data)
    data.mkdir(parents=True, exist_ok=True, mode=0o700)
    account.chown(data)
    with log.open("wb") as out:
        return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
            [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
             "--no-instructions", "--no-sync"],
            stdin=subprocess.DEVNULL, stdout=out, stderr=out, cwd="/", **_as(account),
        )


def finish_initdb(proc: subprocess.Popen[bytes] | None, log: Path, timeout: float = 120) -> None:
    """Wait for ``initdb`` to end; :class:`PostgresError` with its log when it failed."""
    if proc is None:
        return
    try:
        rc = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise PostgresError(f"initdb did not finish in {timeout:g}s") from None
    if rc != 0:
        lines = log.read_text(errors="replace").strip().splitlines()
        raise PostgresError(f"initdb failed: {lines[-1] if lines else f'exit {rc}'}")


def start(bindir: Path, data: Path, address: str, port: int, account: Account, log: Path) -> subprocess.Popen[bytes]:
    """Start the server on ``address:port`` as the sandbox's account, its output in ``log``."""
    out = log.open("ab")
    if account.as_root:
        account.chown(log)
    try:
        return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
            [str(bindir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(data),
             "-c", f"listen_addresses={address}", "-c", "logging_collector=off"],
            stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True, cwd="/",
            **_as(account),
        )
    finally:
        out.close()
