"""The off-site copy's age beside the local dumps' on the health signal, read through the sandbox's real sshd:
the copy's status file (the format `factory-offsite-backup` writes, see docs/roles/backup.md) written on
pi2 at the path its inventory names, beside dumps laid out as `05_backup`'s scripts leave them.

A good copy reads as its snapshot and age, judged at the local dumps' thresholds; a failed one says it
failed and why, with the last good copy's age; a copy that never succeeded is critical; no status file,
or one the probe cannot read, warns. A host whose inventory sets no repository runs no copy: nothing is
said of it. `health --once` (JSON and table) carries the same reading.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from actions import sandbox as sb
from actions.health.backups import offsite_verdict
from actions.health.evaluate import assess
from actions.health.models import Reading, Status
from tests.conftest import cli_env
from tests.integration.test_backup_freshness import CALM, CLI, HOUR, inventory, lay_out, read_pi2
from tests.integration.test_backup_freshness import backup_root as backup_root  # the fixture

pytestmark = pytest.mark.integration
REPOSITORY = "gs:arcodange-backups:/restic"
WRONG_PASSWORD = "wrong repository password (check kv/infra/backup and /etc/factory-backup/offsite.pass)"


def status_file(root: Path) -> Path:
    return root / "state" / "offsite.status"


def offsite_inventory(sandbox: sb.SandboxStatus, tmp_path: Path, root: Path, *, repository: str = REPOSITORY
                      ) -> Path:
    """The sandbox's inventory with pi2's backups watched under ``root`` and its off-site copy set up."""
    path = inventory(sandbox, tmp_path, root)
    inv = yaml.safe_load(path.read_text())
    pi2 = inv["all"]["hosts"]["pi2"]
    pi2["backup_offsite_repository"] = repository
    pi2["backup_offsite_status_file"] = str(status_file(root))
    path.write_text(yaml.safe_dump(inv))
    return path


def write_status(root: Path, *, result: str, success_age_h: float | None, error: str = "",
                 mode: int = 0o644) -> None:
    """The status file as the copy leaves it: the last attempt now, the last success ``success_age_h`` ago."""
    now = int(time.time())
    last_success = 0 if success_age_h is None else int(now - success_age_h * HOUR)
    path = status_file(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o755)
    path.write_text(f"last_attempt={now}\nresult={result}\nlast_success={last_success}\n"
                    f"last_snapshot={'' if success_age_h is None else '2294a4be'}\nerror={error}\n"
                    f"repository={REPOSITORY}\n")
    path.chmod(mode)


def offsite_finding(reading: Reading) -> tuple[Status, str]:
    found = {f.signal: f for f in assess(reading, CALM)}
    return found["backup off-site"].status, found["backup off-site"].text


@pytest.mark.parametrize(("result", "age_h", "error", "status", "text"), [
    ("ok", 3.0, "", Status.OK, "backup off-site: snapshot 2294a4be, 3h00m old"),
    ("ok", 30.0, "", Status.WARN, "backup off-site: snapshot 2294a4be, 1d6h old (past 26 h)"),
    ("ok", 51.0, "", Status.CRITICAL, "backup off-site: snapshot 2294a4be, 2d3h old (past 50 h)"),
    ("failed", 1.0, WRONG_PASSWORD, Status.WARN,
     f"backup off-site: FAILED: {WRONG_PASSWORD}; last good copy: snapshot 2294a4be, 1h00m old"),
    ("failed", 60.0, "repository unreachable at gs:arcodange-backups:/restic (network): gave up after 2h",
     Status.CRITICAL, "backup off-site: FAILED: repository unreachable at gs:arcodange-backups:/restic "
     "(network): gave up after 2h; last good copy: snapshot 2294a4be, 2d12h old (past 50 h)"),
    ("failed", None, "nothing to copy: no backup under /mnt/backups/postgres", Status.CRITICAL,
     "backup off-site: FAILED: nothing to copy: no backup under /mnt/backups/postgres; "
     "last good copy: no copy ever succeeded"),
])
async def test_the_offsite_copy_is_judged_beside_the_local_dumps(
    sandbox: sb.SandboxStatus, tmp_path: Path, backup_root: Path, result: str, age_h: float | None, error: str,
    status: Status, text: str,
) -> None:
    lay_out(backup_root, gitea_age=1.0)
    write_status(backup_root, result=result, success_age_h=age_h, error=error)
    reading = await read_pi2(offsite_inventory(sandbox, tmp_path, backup_root))
    assert reading.offsite_file == str(status_file(backup_root)) and reading.offsite_note is None
    assert offsite_finding(reading) == (status, text)
    # The local dumps keep their own verdicts beside it.
    found = {f.signal: f for f in assess(reading, CALM)}
    assert found["backup gitea"].status is Status.OK and found["backup postgres/gitea"].status is Status.OK


async def test_no_status_file_and_an_unreadable_one_warn(
    sandbox: sb.SandboxStatus, tmp_path: Path, backup_root: Path
) -> None:
    lay_out(backup_root, gitea_age=1.0)
    inv = offsite_inventory(sandbox, tmp_path, backup_root)
    reading = await read_pi2(inv)
    assert offsite_finding(reading) == (
        Status.WARN, f"backup off-site: no copy recorded in {status_file(backup_root)}")
    # Root's 0600 file: the sandbox's login may not read it, and has no sudo.
    write_status(backup_root, result="ok", success_age_h=1.0, mode=0o600)
    status, text = offsite_finding(await read_pi2(inv))
    assert status is Status.WARN
    assert text == f"backup off-site: the off-site status {status_file(backup_root)} cannot be read (cat exited 1)"


async def test_a_host_with_no_repository_runs_no_copy_and_nothing_is_said(
    sandbox: sb.SandboxStatus, tmp_path: Path, backup_root: Path
) -> None:
    lay_out(backup_root, gitea_age=1.0)
    reading = await read_pi2(offsite_inventory(sandbox, tmp_path, backup_root, repository=""))
    assert reading.offsite_file is None and offsite_verdict(reading, CALM) is None
    assert "backup off-site" not in {f.signal for f in assess(reading, CALM)}
    assert "@@offsite" not in reading.raw


def test_health_once_carries_the_offsite_copy(sandbox: sb.SandboxStatus, tmp_path: Path, backup_root: Path) -> None:
    assert sandbox.settings is not None
    lay_out(backup_root, gitea_age=1.0)
    write_status(backup_root, result="failed", success_age_h=2.0, error=WRONG_PASSWORD)
    config = tmp_path / "config.toml"
    config.write_text("[health.thresholds]\nload_per_core_warn = 1000\nload_per_core_crit = 2000\n")
    inv = offsite_inventory(sandbox, tmp_path, backup_root)
    cmd = [*CLI, "--config", str(config), "health", "--once", "-i", str(inv)]
    proc = subprocess.run([*cmd, "--json"], capture_output=True, text=True, timeout=120,
                          env=cli_env(sandbox.settings))
    doc = json.loads(proc.stdout)
    pi2 = next(h for h in doc["hosts"] if h["name"] == "pi2")
    assert proc.returncode == 1 and pi2["status"] == "warn", pi2["findings"]
    offsite = pi2["offsite"]
    assert (offsite["ok"], offsite["recorded"], offsite["snapshot"], offsite["error"]) == (
        False, True, "2294a4be", WRONG_PASSWORD)
    assert offsite["status"] == "warn" and 1.9 < offsite["age_h"] < 2.1
    assert offsite["file"] == str(status_file(backup_root))
    assert "offsite" not in pi2["signals"]
    assert [h["offsite"] for h in doc["hosts"] if h["name"] != "pi2"] == [None, None]

    table = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env={
        **cli_env(sandbox.settings), "COLUMNS": "400"})
    assert table.returncode == 1
    assert f"pi2: backup off-site: FAILED: {WRONG_PASSWORD}; last good copy: snapshot 2294a4be, 2h00m old" in (
        table.stdout.replace("\n", " ")), table.stdout
