"""Vault unseal and init as one awaitable each, for any screen that offers them (the Vault screen, a
checklist step): ask for the permit, then drive the unseal or init screen. Call them from a worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from actions import vault
from actions.gates import Permit
from actions.vault import VaultTarget
from tui.gate_flow import ask_permit

if TYPE_CHECKING:
    from tui.app import FactoryApp


def target_of(app: FactoryApp) -> VaultTarget:
    """The app's Vault ($VAULT_ADDR, then settings, then the lab's inventory), or :class:`VaultError`."""
    return vault.resolve_target(app.settings, app.lab)


async def unseal_flow(app: FactoryApp, target: VaultTarget, operator: str = "operator") -> bool:
    """Confirm the unseal, then take key shares until Vault is unsealed or the operator leaves.

    True when Vault ended unsealed; False when the operator cancelled or left it sealed.
    """
    from tui.screens.vault_unseal import VaultUnsealScreen

    permit = await ask_permit(app, vault.unseal_request(target), operator=operator)
    if not isinstance(permit, Permit):
        return False
    session = vault.UnsealSession(target, permit, app.journal)
    try:
        unsealed = await app.push_screen_wait(VaultUnsealScreen(session))
        return bool(unsealed)
    finally:
        session.close()  # the journal says where an unseal left off, if it did not unseal


async def init_flow(app: FactoryApp, target: VaultTarget, operator: str = "operator") -> str:
    """Initialise Vault (the init screen asks for the typed confirmation once the plan is chosen).

    ``"unseal"`` when initialised and the operator wants to unseal now, ``"done"`` when initialised,
    ``"cancel"`` when nothing was changed.
    """
    from tui.screens.vault_init import VaultInitScreen

    outcome = await app.push_screen_wait(VaultInitScreen(target, operator=operator))
    return str(outcome)
