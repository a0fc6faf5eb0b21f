"""The adapter against the sandbox's real sshd hosts: gates, locks, outcomes, cancel and secrets."""

from __future__ import annotations

import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from actions import gates
from actions.ansible import RunEvent, RunRefused, RunSpec, RunStatus, prepare, run_playbook, run_prepared
from actions.config import Settings, load_settings
from actions.journal import JOURNAL_NAME, open_journal
from actions.locks import host_locks
from actions.procs import alive, descendants
from tests.run_threads import start_run

pytestmark = pytest.mark.integration
DATA = Path(__file__).resolve().parent.parent / "data" / "playbooks"


@pytest.fixture
def settings(tmp_path: Path, sandbox: Any) -> Settings:
    return load_settings(None, state_dir=tmp_path / "state", sandbox=sandbox.settings.sandbox.model_dump())


def _spec(sandbox: Any, name: str, **kw: Any) -> RunSpec:
    return RunSpec(playbook=str(DATA / name), inventory=sandbox.inventory, **kw)


def test_check_run_then_real_run_behind_the_gate(sandbox: Any, settings: Settings) -> None:
    journal = open_journal(settings.state_dir)
    tag = uuid.uuid4().hex[:8]
    marker = Path(f"/tmp/factory-run-{tag}-pi1")
    check = _spec(sandbox, "write_file.yml", limit="pi1", extra_vars=(("run_tag", tag),), check=True, diff=True)
    events: list[RunEvent] = []
    result = run_playbook(check, settings, journal=journal, on_event=events.append)
    assert result.status is RunStatus.OK, result.message
    assert result.recap["pi1"].changed == 1 and not marker.exists()  # check mode writes nothing
    assert any(e.kind == "diff" and e.host == "pi1" for e in events)
    assert any(e.kind == "ok" and e.changed and e.duration is not None for e in events)

    real = check.model_copy(update={"check": False})
    prepared = prepare(real, settings, journal)
    assert prepared.hosts == ["pi1"]
    assert not prepared.request.suggest_check_first
    assert any(d.startswith("last check: ok") for d in prepared.request.details)
    with pytest.raises(RunRefused):
        run_prepared(prepared)  # no permit: nothing runs
    assert not marker.exists()
    permit = gates.issue(prepared.request, confirmed=True, operator="ann")
    result = run_prepared(prepared, permit=permit)
    try:
        assert result.status is RunStatus.OK and marker.read_text() == "written by a real run\n"
    finally:
        marker.unlink(missing_ok=True)
    with pytest.raises(RunRefused, match="already used"):
        run_prepared(prepared, permit=permit)
    rec = journal.get(result.run_id)
    assert rec is not None and rec.operator == "ann" and not rec.check and rec.status == "ok"
    assert rec.recap["pi1"]["changed"] == 1 and Path(rec.artifacts, "stdout").is_file()


def test_destructive_playbook_needs_its_name(sandbox: Any, settings: Settings) -> None:
    prepared = prepare(_spec(sandbox, "recover/wipe_marker.yml", limit="pi3"), settings, None)
    assert prepared.request.level is gates.Level.DESTRUCTIVE
    assert prepared.request.confirm_name == "wipe_marker"
    with pytest.raises(gates.GateRefused):
        gates.issue(prepared.request, confirmed=True, typed_name="pi3")
    permit = gates.issue(prepared.request, confirmed=True, typed_name="wipe_marker")
    assert run_prepared(prepared, permit=permit).status is RunStatus.OK


def test_host_busy_with_another_run_is_refused(sandbox: Any, settings: Settings) -> None:
    # Another app instance (or run) holds pi2.
    with host_locks(settings.state_dir, ["pi2"], "run X of site by bob"):
        prepared = prepare(_spec(sandbox, "hello.yml", check=True), settings, None)
        with pytest.raises(RunRefused, match=r"pi2.*bob"):
            run_prepared(prepared)
    prepared = prepare(_spec(sandbox, "hello.yml", check=True, limit="pi1"), settings, None)
    assert run_prepared(prepared).status is RunStatus.OK


def test_host_failing_midway(sandbox: Any, settings: Settings) -> None:
    journal = open_journal(settings.state_dir)
    result = run_playbook(_spec(sandbox, "fail_midway.yml", check=False), settings, journal=journal,
                          permit=_permit(sandbox, settings, "fail_midway.yml"))
    assert result.status is RunStatus.FAILED and result.exit_code == 2
    assert "failed: pi2" in result.message
    assert result.recap["pi2"].failures == 1 and result.recap["pi1"].ok == 3
    assert journal.get(result.run_id).status == "failed"  # type: ignore[union-attr]


def _permit(sandbox: Any, settings: Settings, name: str, **kw: Any) -> gates.Permit:
    prepared = prepare(_spec(sandbox, name, **kw), settings, open_journal(settings.state_dir))
    return gates.issue(prepared.request, confirmed=True)


def test_unreachable_host(sandbox: Any, settings: Settings, tmp_path: Path) -> None:
    inv = tmp_path / "inv.yml"
    text = Path(sandbox.inventory).read_text()
    port = str(sandbox.hosts[2].port)
    inv.write_text(text.replace(f"ansible_port: {port}", "ansible_port: 1"))
    spec = RunSpec(playbook=str(DATA / "fail_midway.yml"), inventory=inv, check=True)
    result = run_playbook(spec, settings, journal=open_journal(settings.state_dir))
    assert result.status is RunStatus.FAILED and "unreachable: pi3" in result.message
    assert result.recap["pi3"].unreachable == 1


def test_bad_input_is_one_clear_error_and_journalled(sandbox: Any, settings: Settings, tmp_path: Path) -> None:
    journal = open_journal(settings.state_dir)
    r1 = run_playbook(_spec(sandbox, "no_such.yml", check=True), settings, journal=journal)
    assert r1.status is RunStatus.ERROR and "unknown playbook" in r1.message and r1.exit_code == 1
    r2 = run_playbook(_spec(sandbox, "broken_syntax.yml", check=True), settings, journal=journal)
    assert r2.status is RunStatus.ERROR and r2.exit_code == 1
    assert "Syntax Error" in r2.message or "syntax" in r2.message.lower(), r2.message
    bad_inv = tmp_path / "broken.yml"
    bad_inv.write_text("all: [\n")
    r3 = run_playbook(RunSpec(playbook=str(DATA / "hello.yml"), inventory=bad_inv, check=True), settings,
                      journal=journal)
    assert r3.status is RunStatus.ERROR and "invalid YAML" in r3.message
    statuses = {r.id: r.status for r in journal.runs()}
    assert all(statuses[r.run_id] == "error" for r in (r1, r2, r3))


def test_become_password_never_reaches_disk(sandbox: Any, settings: Settings) -> None:
    secret = f"factory-secret-{uuid.uuid4().hex}"
    journal = open_journal(settings.state_dir)
    spec = _spec(sandbox, "hello.yml", check=True, limit="pi1", become_password=SecretStr(secret))
    box: dict[str, Any] = {}
    cancel = threading.Event()
    worker = threading.Thread(target=lambda: box.setdefault("r", run_playbook(
        spec, settings, journal=journal, cancel=cancel)))
    worker.start()
    worker.join(120)
    if worker.is_alive():
        cancel.set()
        worker.join(30)
    result = box["r"]
    assert result.status is RunStatus.OK, result.message  # the prompt was answered
    assert "--ask-become-pass" in journal.get(result.run_id).command  # type: ignore[union-attr]
    needle = secret.encode()
    scanned = 0
    for path in [*settings.state_dir.rglob("*")]:
        if path.is_file():
            scanned += 1
            assert needle not in path.read_bytes(), f"secret found in {path}"
    assert scanned >= 4 and (settings.state_dir / JOURNAL_NAME).is_file()


def _remote_sleepers(seconds: int) -> list[str]:
    out = subprocess.run(["pgrep", "-u", "factory-sandbox", "-f", f"sleep {seconds}"], capture_output=True,
                         text=True, check=False).stdout
    return out.split()


def test_cancel_stops_everything_locally_and_remotely(sandbox: Any, settings: Settings) -> None:
    seconds = 4000 + uuid.uuid4().int % 900
    journal = open_journal(settings.state_dir)
    spec = _spec(sandbox, "sleep.yml", limit="pi1", extra_vars=(("sleep_seconds", str(seconds)),))
    run = start_run(prepare(spec, settings, journal), lambda: bool(_remote_sleepers(seconds)), timeout=90)
    tree = [run.child.pid, run.pids[0], *descendants(run.pids[0])]
    assert len(tree) >= 4  # the run's process, ansible-playbook, a worker, its ssh client
    run.cancel.set()
    t0 = time.monotonic()
    run.thread.join(30)
    while (any(alive(p) for p in tree) or _remote_sleepers(seconds)) and time.monotonic() - t0 < 5:
        time.sleep(0.1)
    assert [p for p in tree if alive(p)] == []
    assert _remote_sleepers(seconds) == []
    result = run.box["r"]
    assert result.status is RunStatus.CANCELLED and result.exit_code == 130
    assert journal.get(result.run_id).status == "cancelled"  # type: ignore[union-attr]
