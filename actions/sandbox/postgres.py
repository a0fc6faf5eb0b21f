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


def initdb(bindir: Path, data: Path, account: Account, log: Path) -> None:
    if (data / "PG_VERSION").exists():
        return
    data.mkdir(parents=True, exist_ok=True, mode=0o700)
    account.chown(data)
    proc = subprocess.run(
        [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
         "--no-instructions"],
        capture_output=True, text=True, cwd="/", **_as(account),  # type: ignore[call-overload]
    )
    log.write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        raise PostgresError(f"initdb failed: {proc.stderr.strip().splitlines()[-1:]}")


def start(bindir: Path, data: Path, address: str, port: int, account: Account, log: Path) -> subprocess.Popen[bytes]:
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
