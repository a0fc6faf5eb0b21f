"""The Vault screens under Pilot against a real OpenBao: the unseal flow with wrong, repeated and reset
shares; the badge seeing a restart (sealed again) within two health ticks; a stuck Vault going stale."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from textual.app import App, ComposeResult
from vault_helpers import text_of, vault_app, wait_for, wait_screen

from actions import change_log, vault
from actions.gates import issue
from actions.journal import open_journal
from actions.vault import VaultState, VaultTarget
from tests.vault_server import BaoServer
from tui.modals.confirm import ConfirmModal, TypedConfirmModal
from tui.modals.vault_token import VaultTokenModal
from tui.screens.health import HealthScreen
from tui.screens.vault import VaultScreen
from tui.screens.vault_unseal import VaultUnsealScreen
from tui.widgets.secret_input import SecretInput
from tui.widgets.vault_badge import VaultBadge

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def initialised(bao: BaoServer) -> vault.InitResult:
    target = VaultTarget(addr=bao.addr)
    plan = vault.check_plan(5, 3)
    return vault.initialise(target, plan, issue(vault.init_request(target, plan), confirmed=True,
                                                typed_name="127.0.0.1"))


@pytest.fixture(scope="module")
def shares(initialised: vault.InitResult) -> list[str]:
    return [s.get_secret_value() for s in initialised.shares]


def state_of(holder: object) -> VaultState | None:
    status = getattr(holder, "status", None)
    return status.state if status is not None else None


def unseal_with(bao: BaoServer, shares: list[str]) -> None:
    target = VaultTarget(addr=bao.addr)
    session = vault.UnsealSession(target, issue(vault.unseal_request(target), confirmed=True))
    for share in shares[:3]:
        session.submit(SecretStr(share))
    assert vault.wait_settled(target).state is VaultState.UNSEALED


async def test_unseal_flow_with_wrong_repeated_and_reset(
    bao: BaoServer, shares: list[str], tmp_path: Path
) -> None:
    app = vault_app(tmp_path / "state", bao.addr)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        screen = app.screen
        assert isinstance(screen, VaultScreen)
        await wait_for(pilot, lambda: state_of(screen) is VaultState.SEALED, what="a sealed reading")
        assert "press u to unseal" in text_of(screen.query_one("#vault-hint")).lower()

        await pilot.press("u")
        await wait_screen(pilot, ConfirmModal, "#confirm")
        assert app.screen.request.kind == "vault.unseal"
        await pilot.click("#confirm")
        await wait_screen(pilot, VaultUnsealScreen, "#share")
        unseal = app.screen
        field = unseal.query_one("#share", SecretInput)
        message = unseal.query_one("#unseal-message")
        count = unseal.query_one("#unseal-count")
        await wait_for(pilot, lambda: text_of(count) == "0 of 3 shares", what="progress 0 of 3")

        async def enter(share: str, expect: str) -> None:
            field.value = share
            await pilot.press("enter")
            assert field.value == ""  # cleared before Vault even answers
            await wait_for(pilot, lambda: expect in text_of(message), what=f"message {expect!r}")

        await pilot.press(*"zz-not-a-share")
        assert field.value == "zz-not-a-share" and "zz-not" not in app.export_screenshot()
        await pilot.press("enter")
        await wait_for(pilot, lambda: "not a key share" in text_of(message), what="malformed message")
        assert message.has_class("-error")

        await enter(shares[0], "1 of 3")
        assert text_of(count) == "1 of 3 shares"
        await enter(shares[0], "already entered")
        assert message.has_class("-warn") and text_of(count) == "1 of 3 shares"

        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: text_of(count) == "0 of 3 shares", what="progress reset")
        assert "reset" in text_of(message).lower()

        await enter(shares[0], "1 of 3")
        await enter(shares[1], "2 of 3")
        await enter(secrets.token_hex(len(bytes.fromhex(shares[0]))), "wrong")
        assert text_of(count) == "0 of 3 shares" and "reset to 0" in text_of(message)

        await enter(shares[2], "1 of 3")
        await enter(shares[3], "2 of 3")
        field.value = shares[4]
        await pilot.press("enter")
        await wait_for(pilot, lambda: unseal.unsealed, what="unsealed")
        assert "unsealed (active)" in text_of(message)
        assert field.disabled and text_of(count) == "unsealed"

        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, what="back on the vault screen")
        await wait_for(pilot, lambda: state_of(screen) is VaultState.UNSEALED, what="an unsealed reading")
        assert "unsealed" in text_of(screen.badge)
    # The journal has the unseal (with the reset and the wrong share in between: one change, done).
    done = change_log.changes(open_journal(tmp_path / "state"))
    assert [(c.kind, c.status, c.message) for c in done] == [("vault.unseal", "ok", "unsealed")]


def ensure_unsealed(bao: BaoServer, shares: list[str]) -> None:
    """Unseal the module's server if the tests before left it sealed."""
    if vault.read_status(VaultTarget(addr=bao.addr)).sealed:
        unseal_with(bao, shares)


async def unsealed_vault_screen(pilot: Any) -> Any:
    """Switch to the Vault screen and wait until it shows Vault unsealed; return the screen."""
    await pilot.press("5")
    screen = pilot.app.screen
    await wait_for(pilot, lambda: state_of(screen) is VaultState.UNSEALED, what="unsealed")
    return screen


async def test_seal_from_the_vault_screen_asks_for_a_token(
    bao: BaoServer, shares: list[str], initialised: vault.InitResult, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("VAULT_TOKEN", raising=False)
    ensure_unsealed(bao, shares)
    root = initialised.root_token.get_secret_value()
    app = vault_app(tmp_path / "state", bao.addr)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await unsealed_vault_screen(pilot)
        await pilot.press("s")
        modal = await wait_screen(pilot, TypedConfirmModal, "#typed")
        assert modal.request.kind == "vault.seal"
        await pilot.press(*"127.0.0.1", "enter")
        token_modal = await wait_screen(pilot, VaultTokenModal, "#token")
        token_input = token_modal.query_one("#token", SecretInput)
        await pilot.press(*root)
        assert token_input.value == root and root not in app.export_screenshot()
        await pilot.press("enter")
        await wait_for(pilot, lambda: state_of(screen) is VaultState.SEALED, what="sealed")
        assert token_input.value == ""
        assert root not in app.export_screenshot() and root not in (app.clipboard or "")
        # The screen lists what was done, from the journal.
        changes = screen.query_one("#vault-changes")
        await wait_for(pilot, lambda: "seal       ok          sealed" in text_of(changes),
                       what="the seal in the recent changes")
    assert vault.read_status(VaultTarget(addr=bao.addr)).summary() == "sealed 0 of 3"
    done = change_log.changes(open_journal(tmp_path / "state"))
    assert [(c.kind, c.status, c.operator) for c in done] == [("vault.seal", "ok", app.settings.operator)]


async def test_step_down_clicked_through_to_a_node_active_again(
    bao: BaoServer, shares: list[str], initialised: vault.InitResult, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The Step down button, its gate's Confirm button and the token dialog, each clicked: the lone node
    gives the active role up and takes it back, the screen says so, and the journal has the change."""
    monkeypatch.delenv("VAULT_TOKEN", raising=False)
    ensure_unsealed(bao, shares)
    target = VaultTarget(addr=bao.addr)
    before = vault.read_status(target).active_time
    root = initialised.root_token.get_secret_value()
    app = vault_app(tmp_path / "state", bao.addr)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await unsealed_vault_screen(pilot)
        await pilot.click("#step_down")
        modal = await wait_screen(pilot, ConfirmModal, "#confirm")
        assert modal.request.kind == "vault.step-down"
        await pilot.click("#confirm")
        token_modal = await wait_screen(pilot, VaultTokenModal, "#token")
        token_modal.query_one("#token", SecretInput).focus()
        await pilot.press(*root, "enter")
        # Done once a node is active again (a lone node takes the role back after some ten seconds).
        changes = screen.query_one("#vault-changes")
        await wait_for(pilot, lambda: "step-down  ok" in text_of(changes), timeout=90,
                       what="the step-down, done, in the recent changes")
        assert root not in app.export_screenshot()
    after = vault.read_status(target)
    assert after.summary().startswith("unsealed") and after.active_time != before  # the role was taken anew
    done = change_log.changes(open_journal(tmp_path / "state"))
    assert [(c.kind, c.status) for c in done] == [("vault.step-down", "ok")]


class BadgeApp(App[None]):
    """The badge as the health screen composes it: no arguments, settings from the app."""

    def __init__(self, settings: object) -> None:
        super().__init__()
        self.settings = settings
        self.lab = None

    def compose(self) -> ComposeResult:
        yield VaultBadge()


async def test_health_screen_sees_a_restart_sealed_within_two_ticks(
    bao: BaoServer, shares: list[str], tmp_path: Path
) -> None:
    unseal_with(bao, shares)
    interval = 0.5
    app = vault_app(tmp_path / "state", bao.addr, interval=interval)
    async with app.run_test(size=(120, 40)) as pilot:
        assert isinstance(app.screen, HealthScreen)  # the app opens on the health screen
        badge = app.screen.query_one(VaultBadge)
        await wait_for(pilot, lambda: state_of(badge) is VaultState.UNSEALED, what="unsealed")
        assert badge.has_class("-unsealed") and text_of(badge).startswith("Vault unsealed")
        await asyncio.to_thread(bao.restart)  # power cut: the server comes back sealed
        back = badge.readings
        await wait_for(pilot, lambda: "sealed 0 of 3" in text_of(badge), what="sealed after restart")
        # Ticks counted as the badge's own polls, so a busy machine cannot make this flaky.
        assert badge.readings - back <= 2, badge.readings - back
        assert badge.has_class("-sealed") and not badge.has_class("-stale")
        assert "Vault sealed 0 of 3" in app.export_screenshot().replace("&#160;", " ")


async def test_badge_turns_stale_when_vault_hangs(bao: BaoServer, tmp_path: Path) -> None:
    interval = 0.5
    app = BadgeApp(vault_app(tmp_path / "state", bao.addr, interval=interval).settings)
    async with app.run_test(size=(120, 5)) as pilot:
        badge = app.query_one(VaultBadge)
        # Any answer will do (what the tests before this one left the server in does not matter here).
        await wait_for(pilot, lambda: badge.status is not None and badge.status.error is None, what="a reading")
        assert bao.proc is not None
        os.kill(bao.proc.pid, signal.SIGSTOP)  # answers nothing, but the connection is accepted
        try:
            await wait_for(pilot, lambda: badge.has_class("-stale"), what="stale")
            assert "STALE" in text_of(badge) and badge.status is not None
            assert badge.status.age() > 2 * interval  # not before two ticks without a reading
        finally:
            os.kill(bao.proc.pid, signal.SIGCONT)
        await wait_for(pilot, lambda: not badge.has_class("-stale"), what="fresh again")


async def test_badge_says_when_there_is_no_address(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VAULT_ADDR", raising=False)
    from actions.config import load_settings

    app = BadgeApp(load_settings(None, state_dir=tmp_path))
    async with app.run_test(size=(120, 5)) as pilot:
        badge = app.query_one(VaultBadge)
        await wait_for(pilot, lambda: "no Vault address" in text_of(badge), what="the missing address")
        assert "no Vault address" in text_of(badge) and badge.has_class("-unreachable")
