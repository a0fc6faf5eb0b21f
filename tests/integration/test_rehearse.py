"""`rehearse`: playbooks converge twice, for real, on the rehearsal hosts, with a verdict per role.

The first tests use a tiny collection (tests/data/rehearse) with one role of each verdict, run for real on
the session's rehearsal lab: the verdicts come from the events real ansible-playbook runs emit.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from actions import gates
from actions.config import Settings
from actions.journal import open_journal
from actions.lab import load_lab
from actions.rehearsal import RehearsalStatus
from actions.rehearsal.converge import ConvergeError, converge, plan
from actions.rehearsal.tally import Verdict
from tests.conftest import cli_env, pids_mentioning, root_ssh

DATA = Path(__file__).resolve().parents[1] / "data" / "rehearse"
CLI = [sys.executable, "-m", "tui.cli"]
Lab = tuple[Settings, RehearsalStatus]


def tiny(settings: Settings) -> Settings:
    """The lab's settings with the tiny collection as the playbook dir."""
    return settings.model_copy(update={"ansible": settings.ansible.model_copy(update={"playbook_dir": DATA})})


def test_each_role_gets_its_verdict_from_two_real_passes(rehearsal_lab: Lab) -> None:
    settings, st = rehearsal_lab
    s = tiny(settings)
    conv = plan(s, load_lab(st.inventory), ["one", "two"])
    assert conv.request.level is gates.Level.CHANGE
    permit = gates.issue(conv.request, confirmed=True, operator="tester")
    report = converge(conv, permit)
    verdicts = {r.role: r for r in report.rows}
    assert [r.role for r in report.rows][:5] == ["steady", "restless", "needy", "forgiving", "broken"]
    assert verdicts["steady"].verdict is Verdict.CONVERGED
    assert (verdicts["steady"].changed_first, verdicts["steady"].changed_second) == (3, 0)
    assert verdicts["restless"].verdict is Verdict.CHANGES_AGAIN
    assert "Say it changed every time" in verdicts["restless"].detail
    assert verdicts["needy"].verdict is Verdict.NEEDS_ARTIFACT
    assert f"{settings.artifact_dir}/needy/thing.tar" in verdicts["needy"].detail
    assert verdicts["forgiving"].verdict is Verdict.CONVERGED, "an ignored failure is no failure"
    assert verdicts["broken"].verdict is Verdict.FAILED
    assert verdicts["broken"].hosts == ["pi2"] and "broken on purpose" in verdicts["broken"].detail
    assert verdicts["lonely"].verdict is Verdict.NOT_RUN
    assert not report.ok
    assert [(r.pass_no, r.playbook) for r in report.runs] == [(1, "one"), (1, "two"), (2, "one"), (2, "two")]
    out = root_ssh(settings, st.hosts[0].address, "cat /etc/factory-steady.conf")
    assert out.stdout == "steady\n", "the runs were real"


def test_an_artifact_put_in_place_is_used(rehearsal_lab: Lab) -> None:
    settings, st = rehearsal_lab
    s = tiny(settings)
    thing = settings.artifact_dir / "needy" / "thing.tar"
    thing.parent.mkdir(parents=True, exist_ok=True)
    thing.write_text("a thing")
    try:
        conv = plan(s, load_lab(st.inventory), ["one"])
        report = converge(conv, gates.issue(conv.request, confirmed=True, operator="tester"))
    finally:
        thing.unlink()
    needy = next(r for r in report.rows if r.role == "needy")
    # With the artifact there the role goes on to its next task, which fails on purpose.
    assert needy.verdict is Verdict.FAILED and "Use the thing" in needy.detail


def test_a_lab_that_is_not_a_rehearsal_is_refused(sandbox: object) -> None:
    from actions.sandbox import SandboxStatus

    assert isinstance(sandbox, SandboxStatus) and sandbox.settings is not None
    with pytest.raises(ConvergeError, match="only on a rehearsal lab"):
        plan(sandbox.settings, load_lab(sandbox.inventory))


def test_no_permit_runs_nothing(rehearsal_lab: Lab) -> None:
    settings, st = rehearsal_lab
    s = tiny(settings)
    journal = open_journal(settings.state_dir)
    before = len(journal.runs(limit=1000))
    conv = plan(s, load_lab(st.inventory), ["one"], journal)
    with pytest.raises(ConvergeError, match="needs a confirmation"):
        converge(conv, None)
    other = gates.GateRequest(kind="ansible.run", level=gates.Level.CHANGE, title="something else")
    with pytest.raises(ConvergeError, match="different action"):
        converge(conv, gates.issue(other, confirmed=True))
    assert len(journal.runs(limit=1000)) == before


def test_cli_refuses_a_wrong_confirmation_and_a_missing_one(rehearsal_lab: Lab) -> None:
    settings, _ = rehearsal_lab
    env = cli_env(settings) | {"FACTORY_ANSIBLE__PLAYBOOK_DIR": str(DATA)}
    wrong = subprocess.run([*CLI, "rehearse", "one", "--confirm", "real"], env=env, capture_output=True,
                           text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert wrong.returncode == 1 and "does not match 'rehearsal'" in wrong.stderr
    missing = subprocess.run([*CLI, "rehearse", "one"], env=env, capture_output=True, text=True, timeout=120,
                             stdin=subprocess.DEVNULL)
    assert missing.returncode == 1 and "--confirm rehearsal" in missing.stderr
    assert "Traceback" not in wrong.stderr + missing.stderr


def test_ctrl_c_cancels_the_converge_and_leaves_no_playbook_running(rehearsal_lab: Lab) -> None:
    import signal
    import time

    settings, st = rehearsal_lab
    env = cli_env(settings) | {"FACTORY_ANSIBLE__PLAYBOOK_DIR": str(DATA)}
    proc = subprocess.Popen([*CLI, "rehearse", "slow", "--confirm", "rehearsal"], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if root_ssh(settings, st.hosts[0].address, "pgrep -x sleep").returncode == 0:
            break
        time.sleep(0.5)
    else:
        proc.kill()
        raise AssertionError("the playbook never reached its task")
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "cancelling the converge" in err and "Traceback" not in err
    assert pids_mentioning(str(DATA / "playbooks" / "slow.yml")) == []
    assert root_ssh(settings, st.hosts[0].address, "pgrep -x sleep").returncode == 1, "the remote task lives on"
