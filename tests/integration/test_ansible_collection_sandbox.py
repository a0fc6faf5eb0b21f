"""Playbook runs of the collection against the sandbox lab.

The preflight runs go through the app's own runs adapter (actions.ansible). Two runs use
ansible-runner directly because they need what the adapter's events do not carry: the action of
each task (to see every role's argument validation) and a local connection to render the scripts.

* the read-only preflight, in check mode, of every catalogued playbook: it must pass on hosts with no
  sudo, no k3s, no docker and no Pi firmware, and change nothing;
* the backup role's PostgreSQL scripts, rendered by Ansible from the role's own templates and run
  for real against the sandbox's PostgreSQL 15: dump, drop, restore, data back; a damaged dump is
  refused before anything is dropped; retention keeps what it must.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import ansible_runner
import pytest
import yaml

from actions.ansible import RunEvent, RunResult, RunSpec, RunStatus
from actions.ansible import run_playbook as run_with_adapter
from actions.config import REPO_ROOT
from tests.integration.backup_lab import render_scripts

pytestmark = pytest.mark.integration

ANSIBLE = REPO_ROOT / "ansible"
CATALOG = yaml.safe_load((ANSIBLE / "playbooks" / "catalog.yml").read_text())["playbooks"]
PG_BIN = Path("/usr/lib/postgresql/15/bin")


class Run:
    """What one ansible-runner run left: status, recap stats and the events."""

    def __init__(self, status: str, stats: dict[str, Any] | None, events: list[dict[str, Any]], output: str) -> None:
        self.output = output
        self.status = status
        self.stats = stats or {}
        self.events = events

    def results(self, event: str, task: str) -> dict[str, dict[str, Any]]:
        """The module results of `task` per host, for events of type `event` (e.g. runner_on_ok)."""
        return {
            e["event_data"]["host"]: e["event_data"].get("res", {})
            for e in self.events
            if e.get("event") == event and e["event_data"].get("task") == task
        }

    def failures(self) -> list[str]:
        """One line per failed host, or the run's last output lines when it failed before any task."""
        return [
            f"{e['event_data'].get('host')}: {e['event_data'].get('res', {}).get('msg')}"
            for e in self.events
            if e.get("event") in {"runner_on_failed", "runner_on_unreachable"}
        ] or self.output.splitlines()[-15:]


def run_playbook(playbook: Path, inventory: str, tmp: Path, *args: str, env: dict[str, str] | None = None) -> Run:
    events: list[dict[str, Any]] = []

    def keep(event: dict[str, Any]) -> bool:
        events.append(event)
        return False  # the events are kept in memory; no job_events files are needed

    private = tmp / "runner"
    private.mkdir(parents=True, exist_ok=True)
    result = ansible_runner.run(
        private_data_dir=str(private),
        playbook=str(playbook),
        inventory=inventory,
        cmdline=shlex.join(args),
        envvars={
            # The collection's own settings (roles_path resolves against the file's directory).
            "ANSIBLE_CONFIG": str(ANSIBLE / "ansible.cfg"),
            "ANSIBLE_HOME": str(tmp / "ansible-home"),
            "ANSIBLE_NOCOLOR": "1",
            # The ansible-playbook of this interpreter's environment, whatever PATH says.
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            **(env or {}),
        },
        event_handler=keep,
        cancel_callback=lambda: False,
        suppress_env_files=True,
        quiet=True,
        timeout=900,
    )
    # The recap comes from the stats event (the runner's own `stats` reads job_events files,
    # which the handler above declines to keep).
    recap = next((e["event_data"] for e in events if e.get("event") == "playbook_on_stats"), {})
    return Run(result.status, recap, events, result.stdout.read())


# --- preflight, check mode --------------------------------------------------------------------

def adapter_run(sandbox: Any, playbook: str, **spec: Any) -> tuple[RunResult, list[RunEvent]]:
    """A check-mode run through the app's own runs adapter (no permit: check runs are read-only)."""
    events: list[RunEvent] = []
    result = run_with_adapter(
        RunSpec(playbook=playbook, inventory=sandbox.inventory, check=True, **spec),
        sandbox.settings, on_event=events.append,
    )
    return result, events


def task(event: RunEvent) -> str:
    """The task's own name, without the `role : ` prefix Ansible gives tasks of a role."""
    return (event.task or "").split(" : ")[-1]


def test_preflight_reads_the_sandbox_in_check_mode(sandbox: Any) -> None:
    result, events = adapter_run(sandbox, "playbooks/00_preflight.yml")
    hosts = {h.name for h in sandbox.hosts}
    assert result.status == RunStatus.OK, result.message
    assert set(result.recap) == hosts
    assert all(r.changed == 0 and not r.bad for r in result.recap.values())
    summaries = {e.host: e.message for e in events if e.kind == "ok" and task(e) == "Show the summary"}
    assert set(summaries) == hosts
    for host, line in summaries.items():
        assert line.startswith(f"{host} (sandbox): Debian 12")
        # The sandbox has no Pi firmware, k3s or docker: reported as absent, not failed.
        assert "temperature n/a" in line and "throttled n/a" in line
        assert "k3s absent" in line and "docker absent" in line
    # The Pi-only assertions are skipped on the sandbox; the general ones pass.
    skipped = {e.host for e in events if e.kind == "skipped" and task(e) == "Check the Raspberry Pi properties"}
    passed = {e.host for e in events if e.kind == "ok" and task(e) == "Check Python and the Debian release"}
    assert skipped == hosts and passed == hosts


def test_preflight_stops_with_a_readable_message(sandbox: Any) -> None:
    result, events = adapter_run(
        sandbox, "playbooks/00_preflight.yml", limit="pi2",
        extra_vars=(("preflight_min_root_free_mb", str(10**9)),),
    )
    assert result.status == RunStatus.FAILED
    assert result.recap["pi2"].failures == 1
    failed = [e for e in events if e.kind == "failed"]
    assert [(e.host, task(e)) for e in failed] == [("pi2", "Check free space on /")]
    assert "pi2: only" in failed[0].message and "MB free on /." in failed[0].message


def static_roles(path: Path) -> set[str]:
    roles: set[str] = set()
    for play in yaml.safe_load(path.read_text()):
        roles |= {r["role"] if isinstance(r, dict) else r for r in play.get("roles", [])}
    return roles


def test_every_playbook_s_preflight_rehearses_on_the_sandbox(sandbox: Any, tmp_path: Path) -> None:
    # All catalogued playbooks in one run (as `ansible-playbook a.yml b.yml ...` would), in check
    # mode with --tags preflight: each one's preflight play runs, and so does the argument
    # validation of every role it lists (Ansible tags it `always`), so the roles' variables must be
    # well formed for the sandbox's inventory too. Nothing may change.
    wrapper = tmp_path / "all.yml"
    wrapper.write_text(yaml.safe_dump([
        {"name": e["path"], "ansible.builtin.import_playbook": str(ANSIBLE / e["path"])} for e in CATALOG
    ]))
    run = run_playbook(wrapper, str(sandbox.inventory), tmp_path, "--check", "--tags", "preflight",
                       env={"ANSIBLE_PLAYBOOK_VARS_ROOT": "all"})
    assert run.status == "successful", run.failures()
    assert not run.stats.get("changed") and not run.stats.get("failures")
    assert set(run.stats["ok"]) == {h.name for h in sandbox.hosts}
    plays = [e["event_data"]["play"] for e in run.events if e.get("event") == "playbook_on_play_start"]
    assert plays.count("Preflight - facts and assertions") == len(CATALOG)
    validated = {
        e["event_data"].get("role") for e in run.events
        if e.get("event") == "runner_on_ok" and e["event_data"].get("task_action") in {
            "validate_argument_spec", "ansible.builtin.validate_argument_spec"}
    }
    expected = set().union(*(static_roles(ANSIBLE / e["path"]) for e in CATALOG))
    assert expected and expected <= validated, expected - validated


# --- the backup scripts against the sandbox's PostgreSQL --------------------------------------

KEEP = 3
DAYS = 14


@pytest.fixture(scope="module")
def scripts(sandbox: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The backup role's scripts, rendered by Ansible (entry point `scripts`) on this machine."""
    tmp = tmp_path_factory.mktemp("backup")
    found = render_scripts(tmp, sandbox.postgres_port, {
        "backup_retention_keep": KEEP,
        "backup_retention_days": DAYS,
    })
    assert set(found) == {"factory-pg-backup", "factory-pg-restore", "factory-gitea-backup",
                          "factory-offsite-env", "factory-offsite-backup", "factory-offsite-fetch"}
    return {"backup": found["factory-pg-backup"], "restore": found["factory-pg-restore"], "root": tmp / "backups"}


def psql(port: int, sql: str, db: str = "postgres") -> str:
    done = subprocess.run(
        [str(PG_BIN / "psql"), "-X", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(port),
         "-U", "postgres", "-d", db, "-c", sql],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def run_script(script: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(script), *args], capture_output=True, text=True, timeout=300)


def make_db(port: int, name: str, rows: int) -> None:
    psql(port, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    psql(port, f"CREATE DATABASE {name}")
    psql(port, "CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL)", db=name)
    psql(port, f"INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, {rows}) g", db=name)


def db_exists(port: int, name: str) -> bool:
    return psql(port, f"SELECT count(*) FROM pg_database WHERE datname = '{name}'") == "1"


def test_dump_drop_restore_brings_the_data_back(sandbox: Any, scripts: dict[str, Path]) -> None:
    port = sandbox.postgres_port
    make_db(port, "factory_restore_a", 250)
    dumped = run_script(scripts["backup"], "factory_restore_a")
    assert dumped.returncode == 0, dumped.stdout + dumped.stderr
    dumps = sorted((scripts["root"] / "postgres" / "factory_restore_a").glob("factory_restore_a-*.dump"))
    assert len(dumps) == 1 and Path(f"{dumps[0]}.sha256").is_file()
    assert not list((scripts["root"] / "postgres" / "factory_restore_a").glob(".*partial"))
    assert list((scripts["root"] / "postgres" / "globals").glob("globals-*.sql"))

    psql(port, "DROP DATABASE factory_restore_a")
    assert not db_exists(port, "factory_restore_a")

    restored = run_script(scripts["restore"], "factory_restore_a", "latest")
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert f"restored factory_restore_a from {dumps[0]}" in restored.stdout
    assert psql(port, "SELECT count(*), sum(id) FROM items", db="factory_restore_a") == f"250|{sum(range(1, 251))}"
    assert psql(port, "SELECT label FROM items WHERE id = 42", db="factory_restore_a") == "item 42"


def test_restore_replaces_changed_data_with_the_dump(sandbox: Any, scripts: dict[str, Path]) -> None:
    port = sandbox.postgres_port
    make_db(port, "factory_restore_b", 10)
    assert run_script(scripts["backup"], "factory_restore_b").returncode == 0
    # Damage after the backup, with a session still open on the database: the restore ends it.
    psql(port, "DELETE FROM items WHERE id > 3; UPDATE items SET label = 'oops'", db="factory_restore_b")
    holder = subprocess.Popen(
        [str(PG_BIN / "psql"), "-X", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
         "-d", "factory_restore_b", "-c", "SELECT pg_sleep(120)"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(0.5)
        restored = run_script(scripts["restore"], "factory_restore_b")
        assert restored.returncode == 0, restored.stdout + restored.stderr
    finally:
        holder.kill()
        holder.wait()
    assert psql(port, "SELECT count(*) FROM items WHERE label LIKE 'item %'", db="factory_restore_b") == "10"


def test_a_damaged_dump_is_refused_before_anything_is_dropped(sandbox: Any, scripts: dict[str, Path]) -> None:
    port = sandbox.postgres_port
    make_db(port, "factory_restore_c", 5)
    assert run_script(scripts["backup"], "factory_restore_c").returncode == 0
    dump = next((scripts["root"] / "postgres" / "factory_restore_c").glob("factory_restore_c-*.dump"))
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    psql(port, "INSERT INTO items VALUES (99, 'written after the backup')", db="factory_restore_c")

    refused = run_script(scripts["restore"], "factory_restore_c", str(dump))
    assert refused.returncode == 2
    assert "checksum mismatch, nothing dropped" in refused.stderr
    # The live database is untouched.
    assert psql(port, "SELECT count(*) FROM items", db="factory_restore_c") == "6"


def test_a_dump_of_another_database_is_refused(sandbox: Any, scripts: dict[str, Path]) -> None:
    port = sandbox.postgres_port
    make_db(port, "factory_restore_d", 2)
    make_db(port, "factory_restore_e", 3)
    assert run_script(scripts["backup"], "factory_restore_e").returncode == 0
    other = next((scripts["root"] / "postgres" / "factory_restore_e").glob("*.dump"))
    refused = run_script(scripts["restore"], "factory_restore_d", str(other))
    assert refused.returncode == 2 and "is not a dump of factory_restore_d" in refused.stderr
    assert psql(port, "SELECT count(*) FROM items", db="factory_restore_d") == "2"


def test_restore_without_a_dump_says_so(sandbox: Any, scripts: dict[str, Path]) -> None:
    missing = run_script(scripts["restore"], "factory_never_dumped")
    assert missing.returncode == 2
    assert "no dump of factory_never_dumped" in missing.stderr
    usage = run_script(scripts["restore"])
    assert usage.returncode == 2 and "usage:" in usage.stderr


def test_retention_keeps_the_newest_and_the_recent(sandbox: Any, scripts: dict[str, Path]) -> None:
    port = sandbox.postgres_port
    make_db(port, "factory_retention", 1)
    folder = scripts["root"] / "postgres" / "factory_retention"
    folder.mkdir(parents=True, exist_ok=True)
    now = time.time()
    ages = {"r1": 1, "r2": 2, "r3": 3, "o1": 30, "o2": 31, "o3": 40}  # days
    for name, days in ages.items():
        path = folder / f"factory_retention-{name}.dump"
        path.write_bytes(b"old")
        Path(f"{path}.sha256").write_text("x\n")
        os.utime(path, (now - days * 86400, now - days * 86400))
    assert run_script(scripts["backup"], "factory_retention").returncode == 0
    left = sorted(p.name.removeprefix("factory_retention-").removesuffix(".dump") for p in folder.glob("*.dump"))
    # The new dump, r1 and r2 are the KEEP newest; r3 is beyond KEEP but younger than DAYS; o* go.
    assert len([n for n in left if n[0] not in "ro"]) == 1
    assert [n for n in left if n[0] in "ro"] == ["r1", "r2", "r3"]
    assert not list(folder.glob("factory_retention-o*.sha256"))
