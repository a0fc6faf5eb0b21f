"""Carry out a checklist step's action from the step screen, through the same adapters and gates as the
rest of the app: playbook runs (check first, then real), tofu plans, Vault init/unseal, SSH commands and
manual instructions. Each returns an :class:`Outcome` for :meth:`Walk.settle` to journal; the playbook
policy (check first, then real) is :mod:`actions.runbooks.playbook_step`."""

from __future__ import annotations

import asyncio
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from rich.text import Text
from textual.containers import Vertical

from actions.ansible import PreparedRun, RunResult, RunSpec, prepare
from actions.gates import GateRequest, Permit
from actions.health.backups import pick_line, under_root
from actions.health.models import Snapshot
from actions.runbooks.model import (
    ManualAction,
    PlaybookAction,
    SshCommandAction,
    Step,
    TofuPlanAction,
    VaultInitAction,
    VaultUnsealAction,
)
from actions.runbooks.outcome import Outcome
from actions.runbooks.playbook_step import play, step_spec
from tui.app_handle import app_of
from tui.gate_flow import ask_permit
from tui.run_flow import lab_for, pane_for, start_in_pane

if TYPE_CHECKING:
    from tui.screens.step import StepScreen


def describe_action(action: Any, snapshot: Snapshot | None = None) -> Text:
    """The step's action in words; a restore names the dump it would use, from the latest health reading."""
    text = Text("action: ", style="bold")
    if isinstance(action, PlaybookAction):
        text.append(f"playbook {action.playbook}")
        if action.limit:
            text.append(f"  --limit {action.limit}")
        if action.tags:
            text.append(f"  --tags {','.join(action.tags)}")
        for key, value in action.extra_vars.items():
            text.append(f"  -e {key}={value}")
        if action.check_first:
            text.append("\n(check mode first, then the real run)", style="dim")
        if action.pick_backup:
            text.append(f"\npick a backup from {action.pick_backup}", style="dim")
            text.append(f"\n{pick_line(snapshot, action.pick_backup)}")
        if action.ask_vars:
            text.append(f"\nasks for: {', '.join(action.ask_vars)}", style="dim")
    elif isinstance(action, TofuPlanAction):
        text.append(f"tofu plan of {action.root} (review; CI applies it on merge)")
    elif isinstance(action, VaultInitAction):
        text.append("initialise Vault (destructive: type its name)")
    elif isinstance(action, VaultUnsealAction):
        text.append("unseal Vault, one key share at a time")
    elif isinstance(action, SshCommandAction):
        text.append(f"ssh {', '.join(action.hosts)}: {action.command}")
    elif isinstance(action, ManualAction):
        text.append("manual\n")
        text.append(action.instructions.strip(), style="italic")
    return text


async def run_action(screen: StepScreen, step: Step) -> Outcome | None:
    """Carry out ``step``'s action from its screen and say how it ended."""
    action = step.action
    if isinstance(action, ManualAction):
        screen.log_line(Text(action.instructions.strip(), style="italic"))
        return Outcome(note="instructions followed")
    if isinstance(action, SshCommandAction):
        return await _ssh(screen, step, action)
    if isinstance(action, PlaybookAction):
        return await _playbook(screen, step, action)
    if isinstance(action, TofuPlanAction):
        return await _tofu_plan(screen, action)
    if isinstance(action, VaultUnsealAction | VaultInitAction):
        return await _vault(screen, action)
    raise RuntimeError(f"unknown action {action.type}")


# -- ssh ------------------------------------------------------------------------------------------------


async def _ssh(screen: StepScreen, step: Step, action: SshCommandAction) -> Outcome:
    from actions.runbooks.ssh_step import run_ssh_step, ssh_request

    app = app_of(screen)
    if app.lab is None or app.remote is None:
        raise RuntimeError("no lab inventory: nothing to run on")
    request = ssh_request(action, app.lab, step.title)
    permit = await ask_permit(app, request, operator=app.settings.operator)
    if permit is None or permit == "check":
        return Outcome(cancelled=True, note="not confirmed")
    ok = await run_ssh_step(action, app.lab, app.remote, permit, step.title, screen.log_line)
    return Outcome(note=f"`{action.command}` " + ("succeeded" if ok else "failed"), failed=not ok)


# -- playbooks ------------------------------------------------------------------------------------------


async def _ask_vars(screen: StepScreen, action: PlaybookAction) -> dict[str, str] | None:
    from tui.modals.reason import ReasonModal

    values: dict[str, str] = {}
    for var in action.ask_vars:
        value = await screen.app.push_screen_wait(ReasonModal(f"Value of {var} for this run"))
        if not value:
            return None
        values[var] = value
    return values


async def _pick_backup(screen: StepScreen, action: PlaybookAction) -> str | None:
    from actions.runbooks.backups import list_backups
    from tui.modals.pick_backup import PickBackupModal

    app = app_of(screen)
    assert action.pick_backup is not None
    if app.lab is None or app.remote is None:
        raise RuntimeError("no lab inventory: no host to list backups on")
    host = (app.lab.groups.get(action.backup_host) or [action.backup_host])[0]
    directory = under_root(action.pick_backup, app.lab.host(host).backup_root)
    backups = await list_backups(app.remote, host, directory)
    if not backups:
        screen.notify(f"no backup found under {directory} on {host}", severity="error")
        return None
    return await app.push_screen_wait(PickBackupModal(host, directory, backups))


class _Carrier:
    """Carries a playbook step for :func:`actions.runbooks.playbook_step.play` on the step screen."""

    def __init__(self, screen: StepScreen) -> None:
        self.screen = screen
        self.app = app_of(screen)

    async def prepare(self, spec: RunSpec) -> PreparedRun:
        """Resolve the run off the event loop (it reads the playbook's files and the journal), against a lab
        never read in the app's process (:func:`tui.run_flow.lab_for`)."""
        app = self.app
        lab = await lab_for(self.screen, spec.inventory)
        return await asyncio.to_thread(prepare, spec, app.settings, app.runbooks.store.journal, lab)

    async def ask(self, request: GateRequest) -> Permit | Literal["check"] | None:
        """The gate, with a check-mode run offered instead."""
        return await ask_permit(self.app, request, allow_check=True, operator=self.app.settings.operator)

    async def run(self, prepared: PreparedRun, permit: Permit | None) -> RunResult:
        """Show the run in the step screen's run pane and wait for its end."""
        screen = self.screen
        pane = pane_for(prepared)
        holder = screen.query_one("#step-run", Vertical)
        await holder.remove_children()
        await holder.mount(pane)
        holder.display = True
        screen.log_line(Text(f"{pane.mode} run: {shlex.join(prepared.request.command)}", style="bold"))
        return await start_in_pane(screen, pane, prepared, permit, group="step-run").wait()

    def say(self, line: str) -> None:
        """A line in the step's log."""
        self.screen.log_line(Text(line, style="bold cyan"))


async def _playbook(screen: StepScreen, step: Step, action: PlaybookAction) -> Outcome:
    asked = await _ask_vars(screen, action)
    if asked is None:
        return Outcome(cancelled=True, note="no value given")
    chosen = None
    if action.pick_backup:
        chosen = await _pick_backup(screen, action)
        if chosen is None:
            return Outcome(cancelled=True, note="no backup chosen")
    app = app_of(screen)
    spec = step_spec(action, Path(app.inventory), forks=app.settings.ansible.forks, asked=asked, backup=chosen)
    return await play(action, spec, _Carrier(screen))


# -- tofu -----------------------------------------------------------------------------------------------


async def _tofu_plan(screen: StepScreen, action: TofuPlanAction) -> Outcome:
    from actions.tofu import TofuAdapter
    from actions.tofu.errors import TofuError

    app = app_of(screen)
    adapter = TofuAdapter(app.settings)
    try:
        root = adapter.root(action.root)
        result = await adapter.plan(root, on_event=lambda ev: screen.log_line(ev.message) if ev.message else None)
    except TofuError as exc:
        screen.log_line(Text(str(exc), style="bold red"))
        return Outcome(note=str(exc), failed=True)
    counts = result.record.counts.line() if result.record.counts else result.record.status
    screen.log_line(Text(f"plan of {action.root}: {counts}", style="bold"))
    for act, items in result.summary.grouped():
        screen.log_line(f"  {act.value:8} {', '.join(c.address for c in items[:10])}")
    return Outcome(note=f"planned: {counts}; review it on the plans screen (4)")


# -- vault ----------------------------------------------------------------------------------------------


async def _vault(screen: StepScreen, action: VaultUnsealAction | VaultInitAction) -> Outcome:
    from actions.vault import VaultError
    from tui.vault_flow import init_flow, target_of, unseal_flow

    app = app_of(screen)
    # The checks after this step must read Vault anew, not a reading taken before the unseal.
    app.runbooks.forget_vault()
    try:
        target = target_of(app)
    except VaultError as exc:
        return Outcome(note=str(exc), failed=True)
    if isinstance(action, VaultInitAction):
        answer = await init_flow(app, target, operator=app.settings.operator)
        app.runbooks.forget_vault()
        if answer == "cancel":
            return Outcome(cancelled=True, note="Vault not initialised")
        return Outcome(note="Vault initialised; shares confirmed stored")
    unsealed = await unseal_flow(app, target, operator=app.settings.operator)
    app.runbooks.forget_vault()
    return Outcome(note="Vault unsealed" if unsealed else "Vault still sealed", cancelled=not unsealed)
