"""The off-site copy and the restore from it, through the scripts the backup role renders, against a
real PostgreSQL 15 (the sandbox's) and a real restic repository served over HTTP by rclone.

The round trip: dump, copy off-site, delete every local dump, restore from off-site, count the rows.
Bad input: a wrong repository password, a missing repository and a link that goes down mid-copy
(the copy gives up once ``backup_offsite_timeout`` is spent, instead of after restic's own minutes of
retries) each give one readable error; they, and a copy killed half-way, leave the last good copy the
newest one.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from actions.health.offsite import describe, parse_offsite_status
from tests.integration.backup_lab import PG_BIN, Relay, ResticServer, render_scripts, restic_repository

pytestmark = [pytest.mark.integration, pytest.mark.long]  # minutes: given out first

PASSWORD = "correct horse battery staple offsite"
HOST = "factory-backups"


class Lab:
    """The rendered scripts and the repository they copy to."""

    def __init__(self, tmp: Path, scripts: dict[str, Path], server: ResticServer, relay: Relay, port: int,
                 variables: dict[str, object]) -> None:
        self.tmp, self.scripts, self.server, self.relay, self.pg_port = tmp, scripts, server, relay, port
        # The role variables the scripts were rendered with.
        self.variables = variables
        self.root = tmp / "backups"
        self.status = tmp / "state" / "offsite.status"
        self.password = tmp / "offsite.pass"
        self.repository = f"rest:http://127.0.0.1:{relay.port}/factory/"

    def run(self, name: str, *args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([str(self.scripts[name]), *args], capture_output=True, text=True, timeout=300)
        assert PASSWORD not in done.stdout + done.stderr, "the repository password reached a log"
        return done

    def restic(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "RESTIC_REPOSITORY": self.repository, "RESTIC_PASSWORD_FILE": str(self.password),
               "RESTIC_CACHE_DIR": str(self.tmp / "cache")}
        return subprocess.run(["restic", *args], capture_output=True, text=True, env=env, timeout=120)

    def state(self) -> dict[str, str]:
        lines = self.status.read_text().splitlines()
        return dict(line.split("=", 1) for line in lines)

    def psql(self, sql: str, db: str = "postgres") -> str:
        done = subprocess.run(
            [str(PG_BIN / "psql"), "-X", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(self.pg_port),
             "-U", "postgres", "-d", db, "-c", sql], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def make_db(self, name: str, rows: int) -> None:
        self.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.psql(f"CREATE DATABASE {name}")
        self.psql("CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL)", db=name)
        self.psql(f"INSERT INTO items SELECT g, md5(g::text) FROM generate_series(1, {rows}) g", db=name)

    def rows(self, name: str) -> int:
        return int(self.psql("SELECT count(*) FROM items", db=name))

    def dump_and_copy(self, db: str) -> str:
        dumped = self.run("factory-pg-backup", db)
        assert dumped.returncode == 0, dumped.stderr
        copied = self.run("factory-offsite-backup")
        assert copied.returncode == 0, copied.stderr
        state = self.state()
        assert state["result"] == "ok" and state["error"] == ""
        return state["last_snapshot"]


@pytest.fixture(scope="module")
def lab(sandbox: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    tmp = tmp_path_factory.mktemp("offsite")
    restic = shutil.which("restic")
    assert restic, "restic is missing: scripts/setup.sh installs it"
    with restic_repository(tmp) as (server, relay):
        repository = f"rest:http://127.0.0.1:{relay.port}/factory/"
        variables: dict[str, object] = {
            # The lab points this at gs:BUCKET:/restic; here it is the local server, through the relay.
            "backup_offsite_repository": repository,
            "backup_offsite_restic": restic,
            "backup_offsite_password_file": str(tmp / "offsite.pass"),
            "backup_offsite_credentials_file": str(tmp / "no-gcs-key.json"),
            "backup_offsite_cache_dir": str(tmp / "cache"),
            "backup_offsite_status_file": str(tmp / "state" / "offsite.status"),
            "backup_offsite_snapshot_host": HOST,
        }
        scripts = render_scripts(tmp, sandbox.postgres_port, variables)
        lab = Lab(tmp, scripts, server, relay, sandbox.postgres_port,
                  {**variables, "backup_root": str(tmp / "backups")})
        lab.password.write_text(PASSWORD + "\n")
        lab.password.chmod(0o600)
        created = lab.run("factory-offsite-backup", "--init")
        assert created.returncode == 0 and "created the repository" in created.stderr, created.stderr
        again = lab.run("factory-offsite-backup", "--init")
        assert again.returncode == 0 and "repository ready" in again.stderr, again.stderr
        yield lab


def test_round_trip_dump_copy_delete_restore_from_offsite(lab: Lab) -> None:
    lab.make_db("offsite_a", 300)
    snapshot = lab.dump_and_copy("offsite_a")
    listed = lab.restic("snapshots", "--json", "--host", HOST)
    assert listed.returncode == 0 and snapshot in listed.stdout
    # The health screen's reading of the status file the script wrote.
    status = parse_offsite_status(lab.status.read_text())
    assert status is not None and status.ok and status.snapshot == snapshot
    age = status.age(time.time())
    assert age is not None and age < 600

    # pi2's disk is gone: no local dump at all, and the database is lost.
    shutil.rmtree(lab.root / "postgres")
    lab.psql("DROP DATABASE offsite_a")

    restored = lab.run("factory-pg-restore", "offsite_a", "latest")
    assert restored.returncode == 0, restored.stderr
    assert "taking the newest off-site copy" in restored.stdout
    assert f"snapshot {snapshot}" in restored.stderr
    assert lab.rows("offsite_a") == 300
    # The fetched dump lies where a local one would, with its checksum; nothing is left staged.
    (dump,) = (lab.root / "postgres" / "offsite_a").glob("offsite_a-*.dump")
    assert Path(f"{dump}.sha256").is_file()
    assert not (lab.root / ".offsite-fetch").exists()


def test_restore_takes_the_offsite_dump_when_asked_even_with_a_newer_local_one(lab: Lab) -> None:
    lab.make_db("offsite_b", 120)
    lab.dump_and_copy("offsite_b")
    lab.psql("INSERT INTO items SELECT g, 'later' FROM generate_series(121, 200) g", db="offsite_b")
    # A newer local dump that was never copied off-site. Dumps are named to the second: wait for the
    # clock to name a later one than the copied dump's.
    (copied,) = (lab.root / "postgres" / "offsite_b").glob("*.dump")
    while time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) <= copied.stem.split("-", 1)[1]:
        time.sleep(0.1)
    assert lab.run("factory-pg-backup", "offsite_b").returncode == 0
    assert len(list((lab.root / "postgres" / "offsite_b").glob("*.dump"))) == 2

    restored = lab.run("factory-pg-restore", "--offsite", "offsite_b")
    assert restored.returncode == 0, restored.stderr
    assert lab.rows("offsite_b") == 120

    restored = lab.run("factory-pg-restore", "offsite_b")
    assert restored.returncode == 0 and lab.rows("offsite_b") == 200


def test_gitea_archives_are_fetched_by_the_same_script(lab: Lab) -> None:
    folder = lab.root / "gitea"
    folder.mkdir(parents=True, exist_ok=True)
    archive = folder / "gitea-20260101T030000Z.tar.gz"
    subprocess.run(["tar", "czf", str(archive), "-C", str(lab.tmp), "state"], check=True)
    subprocess.run(f"cd {folder} && sha256sum {archive.name} > {archive.name}.sha256", shell=True, check=True)
    assert lab.run("factory-offsite-backup").returncode == 0
    shutil.rmtree(folder)

    fetched = lab.run("factory-offsite-fetch", "gitea", "gitea-*.tar.gz")
    assert fetched.returncode == 0, fetched.stderr
    assert fetched.stdout.strip() == str(archive) and archive.is_file()


def test_a_wrong_password_is_one_clear_error_and_keeps_the_last_success(lab: Lab) -> None:
    lab.make_db("offsite_c", 10)
    good = lab.dump_and_copy("offsite_c")
    before = lab.state()
    lab.password.write_text("not the password\n")
    try:
        failed = lab.run("factory-offsite-backup")
        fetch = lab.run("factory-pg-restore", "--offsite", "offsite_c")
    finally:
        lab.password.write_text(PASSWORD + "\n")
    assert failed.returncode == 1
    assert "off-site copy FAILED: wrong repository password" in failed.stderr
    assert "Traceback" not in failed.stderr
    state = lab.state()
    assert state["result"] == "failed" and state["error"].startswith("wrong repository password")
    assert state["last_success"] == before["last_success"] and state["last_snapshot"] == good
    status = parse_offsite_status(lab.status.read_text())
    assert status is not None and describe(status, time.time()).startswith(
        "off-site FAILED: wrong repository password")
    assert status.snapshot == good
    # Refused before anything is dropped.
    assert fetch.returncode == 2 and "wrong repository password" in fetch.stderr
    assert lab.rows("offsite_c") == 10


def test_a_missing_repository_is_one_clear_error(lab: Lab) -> None:
    # The same URL answered by a server that holds no repository (as a deleted or misnamed bucket).
    empty = ResticServer(lab.tmp / "empty", lab.tmp / "rclone-empty.log")
    lab.relay.upstream = empty.port
    try:
        failed = lab.run("factory-offsite-backup")
        fetch = lab.run("factory-offsite-fetch", "postgres/offsite_a", "offsite_a-*.dump")
    finally:
        lab.relay.upstream = lab.server.port
        empty.stop()
    assert failed.returncode == 1
    assert f"off-site copy FAILED: no repository at {lab.repository}" in failed.stderr
    assert lab.state()["result"] == "failed"
    assert fetch.returncode == 2 and "no repository at" in fetch.stderr


def test_nothing_in_the_repository_is_reported_and_drops_nothing(lab: Lab) -> None:
    lab.make_db("offsite_never_copied", 5)
    refused = lab.run("factory-pg-restore", "--offsite", "offsite_never_copied")
    assert refused.returncode == 2
    assert "no offsite_never_copied-*.dump under" in refused.stderr and "nothing dropped" in refused.stderr
    assert lab.rows("offsite_never_copied") == 5


def copy_held_half_way(lab: Lab, db: str, rows: int, script: Path | None = None
                       ) -> tuple[str, dict[str, str], subprocess.Popen[str]]:
    """A good copy of ``db``, then a large dump whose copy (by ``script``, the lab's own by default) the
    relay holds 200 kB into its upload. Returns the good snapshot, the status after it, and the held copy
    (in its own process group)."""
    lab.make_db(db, rows)
    good = lab.dump_and_copy(db)
    good_state = lab.state()
    # A dump large enough that restic is still uploading when the relay holds it.
    lab.psql("CREATE TABLE bulk AS SELECT g, md5(random()::text) || md5(random()::text) AS v "
             "FROM generate_series(1, 60000) g", db=db)
    assert lab.run("factory-pg-backup", db).returncode == 0
    lab.relay.hold_after(200_000)
    copy = subprocess.Popen([str(script or lab.scripts["factory-offsite-backup"])], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    if not lab.relay.held.wait(timeout=240):
        os.killpg(copy.pid, signal.SIGKILL)
        copy.communicate(timeout=60)
        pytest.fail("the copy never got 200 kB into its upload")
    return good, good_state, copy


def test_a_copy_that_dies_half_way_leaves_the_last_good_snapshot_the_newest(lab: Lab) -> None:
    good, good_state, copy = copy_held_half_way(lab, "offsite_d", 40)
    try:
        # The host loses power: the copy and its restic die at once, mid-upload.
        os.killpg(copy.pid, signal.SIGKILL)
    finally:
        copy.communicate(timeout=60)
        lab.relay.release()
    assert copy.returncode == -signal.SIGKILL

    listed = lab.restic("snapshots", "--json", "--host", HOST)
    assert listed.returncode == 0, listed.stderr
    newest = max(json.loads(listed.stdout), key=lambda s: s["time"])
    assert newest["short_id"] == good
    assert lab.state() == good_state
    repo_check = lab.restic("check", "--no-lock")
    assert repo_check.returncode == 0, repo_check.stdout + repo_check.stderr

    # What the dead copy left never replaces the good one: the restore takes the last good dump...
    shutil.rmtree(lab.root / "postgres" / "offsite_d")
    restored = lab.run("factory-pg-restore", "offsite_d")
    assert restored.returncode == 0, restored.stderr
    assert f"snapshot {good}" in restored.stderr and lab.rows("offsite_d") == 40
    # ...and the next copy goes through, the dead one's lock notwithstanding.
    assert lab.run("factory-pg-backup", "offsite_d").returncode == 0
    again = lab.run("factory-offsite-backup")
    assert again.returncode == 0, again.stderr
    assert lab.state()["last_snapshot"] != good


def test_a_link_that_goes_down_mid_copy_fails_the_copy_with_one_clear_error(lab: Lab) -> None:
    # The same scripts with the copy bounded to 20 s: restic alone would retry for minutes.
    (lab.tmp / "bounded").mkdir(exist_ok=True)
    bounded = render_scripts(lab.tmp / "bounded", lab.pg_port, {**lab.variables, "backup_offsite_timeout": "20s"})
    good, good_state, copy = copy_held_half_way(lab, "offsite_e", 30, bounded["factory-offsite-backup"])
    try:
        lab.relay.cut()
        _out, err = copy.communicate(timeout=600)
    finally:
        if copy.poll() is None:
            os.killpg(copy.pid, signal.SIGKILL)
            copy.communicate(timeout=60)
        lab.relay.restore()
    assert copy.returncode == 1, err
    assert PASSWORD not in err
    assert (f"off-site copy FAILED: repository unreachable at {lab.repository} (network): "
            "gave up after 20s (backup_offsite_timeout)") in err
    assert "Traceback" not in err
    state = lab.state()
    assert state["result"] == "failed" and state["error"].startswith("repository unreachable")
    assert (state["last_success"], state["last_snapshot"]) == (good_state["last_success"], good)
    listed = lab.restic("snapshots", "--json", "--host", HOST)
    assert max(json.loads(listed.stdout), key=lambda s: s["time"])["short_id"] == good
