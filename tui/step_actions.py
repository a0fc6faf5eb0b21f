"""Carry out a checklist step's action from the step screen, through the same adapters and gates as the
rest of the app: playbook runs, tofu plans, Vault init/unseal, SSH commands, manual instructions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text

from actions.runbooks.model import (
    ManualAction,
    PlaybookAction,
    SshCommandAction,
    Step,
    TofuPlanAction,
    VaultInitAction,
    VaultUnsealAction,
)
from tui.gate_flow import ask_permit

if TYPE_CHECKING:
    from tui.screens.step import StepScreen


@dataclass
class Outcome:
    run_id: str | None = None
    note: str = ""
    cancelled: bool = False


def describe_action(action: Any) -> Text:
    text = Text("action: ", style="bold")
    if isinstance(action, PlaybookAction):
        text.append(f"playbook {action.playbook}")
        if action.limit:
            text.append(f"  --limit {action.limit}")
        if action.tags:
            text.append(f"  --tags {','.join(action.tags)}")
        if action.check_first:
            text.append("\n(check mode first, then the real run)", style="dim")
        if action.pick_backup:
            text.append(f"\npick a backup from {action.pick_backup}", style="dim")
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
    action = step.action
    if isinstance(action, ManualAction):
        screen.log_line(Text(action.instructions.strip(), style="italic"))
        return Outcome(note="instructions followed")
    if isinstance(action, SshCommandAction):
        return await _ssh(screen, step, action)
    raise RuntimeError(f"the {action.type} action is not available here yet")


async def _ssh(screen: StepScreen, step: Step, action: SshCommandAction) -> Outcome | None:
    from actions.runbooks.ssh_step import run_ssh_step, ssh_request

    app: Any = screen.app
    if app.lab is None or getattr(app, "remote", None) is None:
        raise RuntimeError("no lab inventory: nothing to run on")
    request = ssh_request(action, app.lab, step.title)
    permit = await ask_permit(app, request, operator=app.settings.operator)
    if permit is None or permit == "check":
        return Outcome(cancelled=True, note="not confirmed")
    ok = await run_ssh_step(action, app.lab, app.remote, permit, step.title, screen.log_line)
    return Outcome(note=f"`{action.command}` " + ("succeeded" if ok else "failed"))
