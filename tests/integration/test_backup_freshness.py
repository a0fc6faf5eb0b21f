"""Backup freshness against the sandbox's real sshd hosts: dumps of controlled ages and sizes laid out as
`05_backup`'s scripts write them under pi2's `backup_root`, read by the health probe.

Each kind's verdict turns at the thresholds (26 h warn, 50 h critical, a dump under half the one before
it warns); `health --once --json` carries them and exits accordingly; a restore step can name the dump.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from actions import sandbox as sb
from actions.config import REPO_ROOT, Thresholds
from actions.health.backups import describe_pick, newest_by_kind, pick_line
from actions.health.evaluate import assess
from actions.health.models import Reading, Snapshot, Status
from actions.health.poller import Poller
from actions.lab import load_lab
from tests.conftest import cli_env
from tests.integration.pgbouncer_lab import PG_BIN

pytestmark = pytest.mark.integration
CLI = [sys.executable, "-m", "tui.cli"]
HOUR = 3600.0
CALM = Thresholds(load_per_core_warn=1000, load_per_core_crit=2000)
ROLE = REPO_ROOT / "ansible" / "roles" / "backup"


@pytest.fixture
def backup_root() -> Iterator[Path]:
    """A directory the sandbox's unprivileged login can read (pytest's tmp_path is private to root)."""
    root = Path(tempfile.mkdtemp(prefix="factory-backups-"))
    root.chmod(0o755)
    try:
        yield root
    finally:
        subprocess.run(["rm", "-rf", str(root)], check=True)


def put(root: Path, rel: str, age_h: float, size: int) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    for parent in path.relative_to(root).parents:
        (root / parent).chmod(0o755)
    path.write_bytes(b"\0" * size)
    path.chmod(0o644)
    t = time.time() - age_h * HOUR
    os.utime(path, (t, t))
    return path


def inventory(sandbox: sb.SandboxStatus, tmp_path: Path, root: Path) -> Path:
    """The sandbox's inventory with pi2's backups watched under ``root``."""
    inv = yaml.safe_load(sandbox.inventory.read_text())
    inv["all"]["vars"]["factory_backups_watched"] = True
    inv["all"]["hosts"]["pi2"]["backup_root"] = str(root)
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(inv))
    return path


async def read(inv: Path) -> Snapshot:
    poller = Poller(list(load_lab(inv).hosts), interval=0.5)
    try:
        return await poller.once()
    finally:
        await poller.close()


async def read_pi2(inv: Path) -> Reading:
    state = (await read(inv)).host("pi2")
    assert state.reading is not None, state.last_error
    return state.reading


def lay_out(root: Path, *, gitea_age: float, pg_size: int = 4000) -> None:
    """What a week of 05_backup leaves: dumps per database, Gitea archives, a Longhorn backup record."""
    put(root, "postgres/gitea/gitea-20261129T023000Z.dump", 49.0, 4000)
    put(root, "postgres/gitea/gitea-20261130T023000Z.dump", 25.0, 4000)
    put(root, "postgres/gitea/gitea-20261201T023000Z.dump", 1.0, pg_size)
    put(root, "postgres/globals/globals-20261201T023000Z.sql", 1.0, 300)
    put(root, "postgres/woodpecker/woodpecker-20261201T023000Z.dump", 2.0, 900)
    put(root, "gitea/gitea-20261130T030000Z.tar.gz", gitea_age + 24, 50_000)
    put(root, "gitea/gitea-20261201T030000Z.tar.gz", gitea_age, 50_000)
    put(root, "longhorn/backupstore/volumes/3f/a1/pvc-0123/backups/backup_factory-20261201.cfg", 3.0, 700)
    # Longhorn's block store sits next to the records: never listed.
    put(root, "longhorn/backupstore/volumes/3f/a1/pvc-0123/blocks/00/00/0000abcd.blk", 3.0, 2048)


@pytest.mark.parametrize(("gitea_age", "status"), [
    (25.5, Status.OK), (26.5, Status.WARN), (49.5, Status.WARN), (50.5, Status.CRITICAL),
])
async def test_the_gitea_verdict_turns_at_the_thresholds(
    sandbox: sb.SandboxStatus, tmp_path: Path, backup_root: Path, gitea_age: float, status: Status
) -> None:
    lay_out(backup_root, gitea_age=gitea_age)
    reading = await read_pi2(inventory(sandbox, tmp_path, backup_root))
    kinds = {k.kind: k for k in newest_by_kind(reading, CALM)}
    assert sorted(kinds) == ["gitea", "longhorn/pvc-0123", "postgres/gitea", "postgres/woodpecker"]
    assert kinds["gitea"].status is status and kinds["gitea"].newest.endswith("gitea-20261201T030000Z.tar.gz")
    assert abs(kinds["gitea"].age_h - gitea_age) < 0.2
    assert kinds["postgres/gitea"].status is Status.OK and kinds["longhorn/pvc-0123"].status is Status.OK
    found = {f.signal: f for f in assess(reading, CALM)}
    assert found["backup gitea"].status is status


async def test_a_dump_under_half_the_one_before_warns(
    sandbox: sb.SandboxStatus, tmp_path: Path, backup_root: Path
) -> None:
    lay_out(backup_root, gitea_age=1.0, pg_size=1999)
    reading = await read_pi2(inventory(sandbox, tmp_path, backup_root))
    pg = next(k for k in newest_by_kind(reading, CALM) if k.kind == "postgres/gitea")
    assert pg.status is Status.WARN and pg.size == 1999 and pg.previous_size == 4000
    assert "under 50% of the one before" in pg.text
    # Exactly half is not "under half".
    put(backup_root, "postgres/gitea/gitea-20261201T023000Z.dump", 1.0, 2000)
    reading = await read_pi2(inventory(sandbox, tmp_path, backup_root))
    pg = next(k for k in newest_by_kind(reading, CALM) if k.kind == "postgres/gitea")
    assert pg.status is Status.OK


async def test_a_removed_dump_leaves_the_older_one_to_judge(
    sandbox: sb.SandboxStatus, tmp_path: Path, backup_root: Path
) -> None:
    lay_out(backup_root, gitea_age=1.0)
    inv = inventory(sandbox, tmp_path, backup_root)
    (backup_root / "postgres/gitea/gitea-20261201T023000Z.dump").unlink()
    (backup_root / "postgres/gitea/gitea-20261130T023000Z.dump").unlink()
    reading = await read_pi2(inv)
    pg = next(k for k in newest_by_kind(reading, CALM) if k.kind == "postgres/gitea")
    assert pg.status is Status.WARN and pg.newest.endswith("gitea-20261129T023000Z.dump")
    assert describe_pick(reading, f"{backup_root}/postgres/gitea").startswith(
        f"would use {backup_root}/postgres/gitea/gitea-20261129T023000Z.dump, 2d1h old (3.9 KiB)"
    )
    # The recovery checklist's restore step names the role's default directory; the inventory moved it.
    line = pick_line(await read(inv), "/mnt/backups/postgres/gitea")
    assert line.startswith(f"pi2: would use {backup_root}/postgres/gitea/gitea-20261129T023000Z.dump, 2d1h old")
    for f in (backup_root / "gitea").iterdir():
        f.unlink()
    found = {f.signal: f for f in assess(await read_pi2(inv), CALM)}
    assert found["backup gitea"].status is Status.WARN
    assert found["backup gitea"].text == f"no gitea backup in {backup_root}/gitea"


def test_health_json_carries_the_backups_and_exits_critical(
    sandbox: sb.SandboxStatus, tmp_path: Path, backup_root: Path
) -> None:
    assert sandbox.settings is not None
    lay_out(backup_root, gitea_age=60.0)
    config = tmp_path / "config.toml"
    config.write_text("[health.thresholds]\nload_per_core_warn = 1000\nload_per_core_crit = 2000\n")
    proc = subprocess.run(
        [*CLI, "--config", str(config), "health", "--once", "--json", "-i",
         str(inventory(sandbox, tmp_path, backup_root))],
        capture_output=True, text=True, timeout=120, env=cli_env(sandbox.settings),
    )
    doc = json.loads(proc.stdout)
    assert proc.returncode == 2 and doc["status"] == "critical"
    pi2 = next(h for h in doc["hosts"] if h["name"] == "pi2")
    assert pi2["status"] == "critical"
    by_kind = {b["kind"]: b for b in pi2["backups"]}
    assert by_kind["gitea"]["status"] == "critical" and by_kind["gitea"]["age_h"] > 59
    assert by_kind["postgres/woodpecker"]["status"] == "ok"
    assert [h["backups"] for h in doc["hosts"] if h["name"] != "pi2"] == [[], []]
    assert any(f["signal"] == "backup gitea" and "past 50 h" in f["text"] for f in pi2["findings"])


def render(template: str, dest: Path, variables: dict[str, object], work: Path) -> None:
    """The backup role's template, rendered by Ansible's own template module (its filters, its header)."""
    extra = work / f"{dest.name}.vars.json"
    extra.write_text(json.dumps({**variables, "ansible_python_interpreter": sys.executable}))
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("ansible")), "localhost", "-c", "local", "-i", "localhost,",
         "-m", "ansible.builtin.template", "-a", f"src={ROLE / 'templates' / template} dest={dest} mode=0755",
         "-e", f"@{extra}"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "ANSIBLE_HOME": str(work / ".ansible")},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


async def test_the_dumps_pg_backup_writes_are_the_ones_the_probe_judges(
    sandbox: sb.SandboxStatus, tmp_path: Path, backup_root: Path
) -> None:
    """05_backup's own pg_backup.sh dumps two databases of the sandbox's PostgreSQL, as the account the
    probe logs in with (its umask 077 leaves the files to their owner); the probe finds each one fresh."""
    suffix = str(int(time.time() * 1000) % 10**8)
    dbs = [f"gitea{suffix}", f"woodpecker{suffix}"]
    psql = [str(PG_BIN / "psql"), "-X", "-q", "-h", sandbox.postgres_host, "-p", str(sandbox.postgres_port),
            "-U", "postgres", "-d", "postgres"]
    for db in dbs:
        subprocess.run([*psql, "-c", f"CREATE DATABASE {db}"], check=True, capture_output=True)
    try:
        script = backup_root / "pg_backup.sh"
        render("pg_backup.sh.j2", script, {
            "backup_root": str(backup_root), "backup_pg_host": sandbox.postgres_host,
            "backup_pg_port": sandbox.postgres_port, "backup_pg_user": "postgres",
            "backup_pg_bin_dir": str(PG_BIN), "backup_pg_databases": [], "backup_pg_passfile": "/nonexistent",
            "backup_retention_keep": 7, "backup_retention_days": 14,
        }, tmp_path)
        as_login = ["runuser", "-u", sandbox.user, "--"] if os.geteuid() == 0 else []
        if as_login:
            shutil.chown(backup_root, user=sandbox.user)
        proc = subprocess.run([*as_login, "bash", str(script), *dbs], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        reading = await read_pi2(inventory(sandbox, tmp_path, backup_root))
    finally:
        for db in dbs:
            subprocess.run([*psql, "-c", f"DROP DATABASE IF EXISTS {db}"], capture_output=True)
    kinds = {k.kind: k for k in newest_by_kind(reading, CALM)}
    assert sorted(kinds) == [f"postgres/{db}" for db in dbs]
    for db in dbs:
        k = kinds[f"postgres/{db}"]
        assert k.status is Status.OK and k.age_h < 0.1 and k.size > 0
        assert k.newest.startswith(f"{backup_root}/postgres/{db}/{db}-") and k.newest.endswith(".dump")
    found = {f.signal: f for f in assess(reading, CALM)}
    # The script wrote no Gitea archive: that is named, as on a lab whose Gitea backup never ran.
    assert found["backup gitea"].status is Status.WARN and "backups readable" not in found
