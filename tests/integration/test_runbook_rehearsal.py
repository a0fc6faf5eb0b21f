"""Rehearsal: the recovery runbook driven end to end in the TUI under Pilot against a sandbox of its own.

The sandbox's OpenBao is initialised first (the lab was built once) and so starts sealed; the flow unseals
it through the step's gated unseal screen. Steps the sandbox cannot satisfy (k3s, Longhorn, containers)
fail their verify honestly and are skipped with a reason; the Longhorn restore runs in check mode. The app
is then closed and opened again: it offers to resume the open session where it stopped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from actions import sandbox as sb
from actions import vault
from actions.config import Settings
from actions.gates import issue
from actions.journal import open_journal
from actions.lab import load_lab
from actions.runbooks.engine import StepState
from actions.runbooks.report import render_report
from actions.runbooks.store import RunbookStore
from tests.conftest import make_settings
from tests.pilot_steps import (
    confirm_gate,
    open_checklist,
    open_step,
    press_button,
    run_step,
    skip,
    step_state,
    unseal_step,
    until,
    verified,
)
from tui.app import FactoryApp
from tui.modals.confirm import ConfirmModal
from tui.screens.step import StepScreen


@pytest.fixture(scope="module")
def lab_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, list[str]]]:
    settings = make_settings(tmp_path_factory.mktemp("rehearsal"))
    status = sb.up(settings)
    try:
        target = vault.resolve_target(settings, load_lab(status.inventory))
        plan = vault.check_plan(3, 2)
        permit = issue(vault.init_request(target, plan), confirmed=True, typed_name=target.host)
        result = vault.initialise(target, plan, permit)
        yield settings, [s.get_secret_value() for s in result.shares]
    finally:
        sb.down(settings, purge=True)


async def test_recovery_rehearsal_end_to_end(lab_sandbox: tuple[Settings, list[str]]) -> None:
    settings, shares = lab_sandbox
    inventory = settings.resolve_inventory("sandbox")
    app = FactoryApp(settings=settings, lab=load_lab(inventory), inventory=inventory)
    async with app.run_test(size=(140, 45)) as pilot:
        await open_checklist(pilot, app, "recovery")

        # 1. Every Pi reachable, clocks agree: a manual step proven by its live verify.
        screen = await open_step(pilot, app, "reachable")
        await run_step(pilot, screen)
        assert await verified(pilot, app, screen, "reachable"), screen.walk.views()["reachable"].note

        # 2. k3s: the gated SSH restart runs for real and fails (no sudo, no k3s); verify says why.
        screen = await open_step(pilot, app, "k3s")
        await run_step(pilot, screen)
        await confirm_gate(pilot, app)
        await until(pilot, lambda: step_state(app, "k3s") is StepState.FAILED, "k3s failed")
        assert "failed" in screen.walk.views()["k3s"].note
        await skip(pilot, app, "k3s", "the sandbox has no k3s")

        # 3. Longhorn: locked, and the lock says which live check fails and what it reads now.
        screen = await open_step(pilot, app, "longhorn")
        await until(pilot, lambda: bool(screen.query("#step-lock"))
                    and "k3s_nodes_ready" in str(screen.query_one("#step-lock").content), "the lock")
        await pilot.press("x")
        await pilot.pause(0.5)
        assert step_state(app, "longhorn") is StepState.PENDING
        await skip(pilot, app, "longhorn", "the sandbox has no Longhorn")

        # 4. Vault: sealed after the restart, unsealed through the gated unseal screen.
        await unseal_step(pilot, app, shares)

        # 5. The restore lists the backups of the backup host: the sandbox has none, so nothing runs.
        screen = await open_step(pilot, app, "restore_pg")
        await run_step(pilot, screen)
        await until(pilot, lambda: any("no backup found" in n.message for n in app._notifications),
                    "the backup listing")
        await until(pilot, lambda: not screen.busy, "the step to settle")
        assert step_state(app, "restore_pg") is StepState.PENDING
        await skip(pilot, app, "restore_pg", "no backups in the sandbox")

        # Gitea: the sandbox runs no containers, so the step is skipped with a reason.
        screen = await open_step(pilot, app, "gitea")
        await skip(pilot, app, "gitea", "no Gitea in the sandbox")

        # 6. Runners and Argo CD: the playbook runs in check mode first, for real, on the sandbox hosts.
        screen = await open_step(pilot, app, "runners_argocd")
        await run_step(pilot, screen)
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal) or (
            not screen.busy and step_state(app, "runners_argocd") is not StepState.RUNNING),
            "the check-mode run", timeout=300)
        runs = [r for r in open_journal(settings.state_dir).runs() if r.playbook_path.endswith("03_cicd.yml")]
        assert runs and runs[0].check and runs[0].status in ("ok", "failed"), runs
        if isinstance(app.screen, ConfirmModal):  # the check passed: the real run is offered; decline it
            assert "last check" in "\n".join(app.screen.request.describe())
            await press_button(pilot, app, ConfirmModal, "#cancel")
        await until(pilot, lambda: isinstance(app.screen, StepScreen) and not screen.busy, "back on the step")
        await skip(pilot, app, "runners_argocd", "no runners in the sandbox")

        screen = await open_step(pilot, app, "final")
        await run_step(pilot, screen)
        await until(pilot, lambda: step_state(app, "final") is not StepState.RUNNING and not screen.busy, "final")
        final_state = step_state(app, "final")
        session_id = screen.walk.session.id
        await pilot.press("escape")

    # Reopened: the session is still open and the app names where it stands.
    app2 = FactoryApp(settings=settings, lab=load_lab(inventory), inventory=inventory)
    async with app2.run_test(size=(140, 45)) as pilot:
        await until(pilot, lambda: any(n.title == "Checklist in progress" for n in app2._notifications), "resume")
        note = next(n.message for n in app2._notifications if n.title == "Checklist in progress")
        assert session_id in note

    store = RunbookStore(open_journal(settings.state_dir), write=False)
    book = app2.runbooks.books["recovery"]
    session = store.session(session_id)
    assert session is not None
    report = render_report(book, session, store.events(session_id))
    assert "| reachable | done |" in report and "| vault_unseal | done |" in report
    assert "the sandbox has no k3s" in report
    assert final_state in (StepState.DONE, StepState.FAILED)
    # No share reached the journal, the state dir or the report.
    for path in Path(settings.state_dir).rglob("*"):
        if path.is_file() and "openbao" not in path.parts:
            data = path.read_bytes()
            assert not any(share.encode() in data for share in shares), path
    assert not any(share in report for share in shares)
