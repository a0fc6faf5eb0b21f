"""The vault screen: Vault's seal status, and the ways into unseal, init, step-down and seal.

Every change goes through :func:`tui.gate_flow.ask_permit`; the unseal and init screens do the rest.
The operator's token (for seal and step-down only) comes from ``$VAULT_TOKEN`` or a masked prompt and
stays in this screen's memory as a secret for the rest of the session.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, ClassVar

from pydantic import SecretStr
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, Static

from actions import change_log, vault
from actions.gates import Permit
from actions.journal import JournalError
from actions.vault import VaultState, VaultStatus, VaultTarget
from tui.app_handle import app_of
from tui.gate_flow import ask_permit
from tui.screens.base import FactoryScreen
from tui.vault_flow import init_flow, unseal_flow
from tui.widgets.vault_badge import VaultBadge

RECENT = 5  # changes listed under the actions

HINTS = {
    VaultState.UNSEALED: "Vault is unsealed: secrets can be read.",
    VaultState.SEALED: "Vault is sealed: nothing can read secrets until it is unsealed. Press u to unseal.",
    VaultState.UNINITIALISED: "Vault is not initialised (bring-up only): press i to initialise it.",
    VaultState.UNREACHABLE: "Vault does not answer: check the k3s pod and the address.",
}


def detail_rows(st: VaultStatus) -> list[tuple[str, str]]:
    """The reading as label/value rows for the details panel."""
    rows = [("address", st.addr), ("state", st.summary())]
    if st.error:
        return [*rows, ("error", st.error)]
    unseal = f"{st.progress} of {st.threshold} shares entered ({st.shares} exist)" if st.initialized else "-"
    leader = f" · leader {st.leader_address}" if st.leader_address else ""
    return [
        *rows,
        ("initialised", "yes" if st.initialized else "no"),
        ("sealed", "yes" if st.sealed else "no"),
        ("unseal", unseal),
        ("ha mode", st.ha_mode + leader),
        ("version", f"{st.version or '-'} · seal {st.seal_type or '-'} · storage {st.storage_type or '-'}"),
    ]


class VaultScreen(FactoryScreen):
    """Vault seal status, unseal and init."""

    SECTION = "vault"
    DEFAULT_CSS = """
    VaultScreen #vault-badge { margin: 1 1 0 1; }
    VaultScreen #vault-details { padding: 1 2; height: auto; }
    VaultScreen #vault-hint { padding: 0 2; height: auto; text-style: bold; }
    VaultScreen #vault-actions { height: auto; padding: 1 2; }
    VaultScreen #vault-actions Button { margin-right: 1; }
    VaultScreen #vault-changes { padding: 0 2; height: auto; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("u", "unseal", "Unseal", id="vault.unseal", tooltip="Enter key shares one at a time"),
        Binding("i", "init", "Initialise", id="vault.init", tooltip="Bring-up only: create the shares"),
        Binding("d", "step_down", "Step down", id="vault.step_down", tooltip="Hand over the active role"),
        Binding("s", "seal", "Seal", id="vault.seal", tooltip="Seal Vault (typed confirmation)"),
        Binding("r", "refresh", "Refresh", id="vault.refresh", tooltip="Read Vault's state now"),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.status: VaultStatus | None = None
        self._token: SecretStr | None = None
        self._allowed_shown: tuple[bool, ...] = ()
        self._texts_shown: tuple[str, str] = ("", "")

    def compose_body(self) -> ComposeResult:
        yield VaultBadge(id="vault-badge")
        yield Static("", id="vault-details", markup=False)
        yield Static("", id="vault-hint", markup=False)
        with Horizontal(id="vault-actions"):
            yield Button("Unseal (u)", id="unseal", variant="primary")
            yield Button("Initialise (i)", id="init", variant="error")
            yield Button("Step down (d)", id="step_down")
            yield Button("Seal (s)", id="seal", variant="warning")
            yield Button("Refresh (r)", id="refresh")
        yield Static("", id="vault-changes", markup=False)

    @property
    def badge(self) -> VaultBadge:
        """The screen's Vault badge, which holds the latest reading."""
        return self.query_one("#vault-badge", VaultBadge)

    @property
    def target(self) -> VaultTarget | None:
        """The Vault this screen reads, or ``None`` when there is no address."""
        return self.badge.target

    def on_mount(self) -> None:
        self._show()

    def on_screen_resume(self) -> None:
        self._show_changes()  # changes made meanwhile (from the CLI, from a checklist step) show too

    def _show_changes(self) -> None:
        """The last changes made to this Vault (from the journal), so the operator sees who did what."""
        journal = app_of(self).journal
        target = self.target
        if journal is None or target is None:
            return
        try:
            listed = change_log.changes(journal, limit=50, kind="vault.")
        except JournalError as exc:
            self.query_one("#vault-changes", Static).update(f"recent changes: {exc}")
            return
        # Of this Vault: the lab's inventory and $VAULT_ADDR may each have named another over time.
        mine = [c for c in listed if target.addr in c.targets][:RECENT]
        lines = ["recent changes"] + [
            f"  {time.strftime('%Y-%m-%d %H:%M', time.localtime(c.started_at))}  {c.operator:<10} "
            f"{c.kind.removeprefix('vault.'):<10} {c.status:<11} {c.message}"
            for c in mine
        ] if mine else ["recent changes: none journalled"]
        self.query_one("#vault-changes", Static).update("\n".join(lines))

    @on(VaultBadge.Updated)
    def _updated(self, event: VaultBadge.Updated) -> None:
        self.status = event.status
        self._show()

    def _show(self) -> None:
        st = self.status
        if st is None:
            texts = (self.badge.problem or "Reading Vault…", "")
        else:
            rows = detail_rows(st)
            texts = ("\n".join(f"{k:<12} {v}" for k, v in rows), HINTS[st.state])
        if texts != self._texts_shown:
            # Only on a change: every update lays the screen out again.
            self._texts_shown = texts
            self.query_one("#vault-details", Static).update(texts[0])
            self.query_one("#vault-hint", Static).update(texts[1])
        allowed = tuple(self._allowed(a) for a in ("unseal", "init", "step_down", "seal"))
        if allowed != self._allowed_shown:
            # Only on a change: refreshing the bindings has every binding checked again for the key bar.
            self._allowed_shown = allowed
            for action, ok in zip(("unseal", "init", "step_down", "seal"), allowed, strict=True):
                self.query_one(f"#{action}", Button).disabled = not ok
            self.refresh_bindings()

    def _allowed(self, action: str) -> bool:
        state = self.status.state if self.status else None
        return {
            "unseal": state is VaultState.SEALED,
            "init": state is VaultState.UNINITIALISED,
            "step_down": state is VaultState.UNSEALED,
            "seal": state is VaultState.UNSEALED,
        }.get(action, True)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("unseal", "init", "step_down", "seal"):
            return True if self._allowed(action) else None
        return True

    @on(Button.Pressed, "#vault-actions Button")
    async def _pressed(self, event: Button.Pressed) -> None:
        # A button stands for its key: the same action, the same checks.
        await self.run_action(event.button.id or "refresh")

    def action_refresh(self) -> None:
        """Read Vault now."""
        self.badge.refresh_now()

    def _operator(self) -> str:
        return app_of(self).settings.operator

    def action_unseal(self) -> None:
        """Open the unseal screen, behind its gate."""
        if self.target is not None and self._allowed("unseal"):
            self._unseal_flow(self.target)

    def action_init(self) -> None:
        """Open the init screen, behind its typed confirmation."""
        if self.target is not None and self._allowed("init"):
            self._init_flow(self.target)

    def action_seal(self) -> None:
        """Seal Vault, behind its typed confirmation and with a token."""
        if self.target is not None and self._allowed("seal"):
            self._token_flow(self.target, "seal")

    def action_step_down(self) -> None:
        """Make the active node step down, behind its gate and with a token."""
        if self.target is not None and self._allowed("step_down"):
            self._token_flow(self.target, "step_down")

    @work(group="vault-op", exclusive=True, exit_on_error=False)
    async def _unseal_flow(self, target: VaultTarget) -> None:
        await unseal_flow(app_of(self), target, self._operator())
        self.badge.refresh_now()
        self._show_changes()

    @work(group="vault-op", exclusive=True, exit_on_error=False)
    async def _init_flow(self, target: VaultTarget) -> None:
        outcome = await init_flow(app_of(self), target, self._operator())
        self.badge.refresh_now()
        self._show_changes()
        if outcome == "unseal":
            await unseal_flow(app_of(self), target, self._operator())
            self.badge.refresh_now()
            self._show_changes()

    @work(group="vault-op", exclusive=True, exit_on_error=False)
    async def _token_flow(self, target: VaultTarget, what: str) -> None:
        from tui.modals.vault_token import VaultTokenModal

        request = vault.seal_request(target) if what == "seal" else vault.step_down_request(target)
        permit = await ask_permit(self.app, request, operator=self._operator())
        if not isinstance(permit, Permit):
            return
        if self._token is None:
            self._token = vault.token_from_env() or await self.app.push_screen_wait(VaultTokenModal(target))
        if self._token is None:
            self.notify("No token: nothing was changed.", severity="warning")
            return
        call = vault.seal if what == "seal" else vault.step_down
        if what == "step_down":
            self.notify("Stepping down: waiting until a node has the active role (a lone node takes it back "
                        "after some ten seconds).", title="Vault")
        try:
            await asyncio.to_thread(call, target, self._token, permit, app_of(self).journal)
        except vault.VaultError as exc:
            if "permission denied" in str(exc):
                self._token = None  # ask again next time rather than reuse a token that does not work
            self.notify(str(exc), title="Vault", severity="error", timeout=15)
            return
        finally:
            self.badge.refresh_now()
            self._show_changes()
        done = "sealed" if what == "seal" else "stepped down"
        self.notify(f"Vault at {target.addr}: {done}.", title="Vault")
