"""One Vault poller for the whole app: the health screen's badge, the Vault screen and the checklists'
Vault checks all read the same feed, against a real OpenBao server; nothing else reads Vault."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from vault_helpers import vault_app, wait_for

from actions import vault
from actions.vault import VaultStatus, VaultTarget
from tests.vault_server import BaoServer
from tui.screens.vault import VaultScreen
from tui.widgets.vault_badge import VaultBadge

pytestmark = pytest.mark.integration


async def test_badges_screens_and_checks_share_one_poller(
    bao: BaoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[float] = []
    real_read = vault.read_status

    def counted(target: VaultTarget) -> VaultStatus:
        reads.append(time.time())  # every read of Vault by anyone in the app, still the real one
        return real_read(target)

    monkeypatch.setattr(vault, "read_status", counted)
    app = vault_app(tmp_path / "state", bao.addr, interval=0.5)
    async with app.run_test(size=(120, 40)) as pilot:
        feed = app.vault_feed
        health_badge = app.screen.query_one(VaultBadge)
        await wait_for(pilot, lambda: health_badge.status is not None, what="the health screen's reading")
        await pilot.press("5")
        vault_screen = app.screen
        assert isinstance(vault_screen, VaultScreen)
        await wait_for(pilot, lambda: vault_screen.status is not None, what="the Vault screen's reading")
        hub = app.runbooks
        for _ in range(5):
            await hub.refresh_vault()
            assert hub.vault_status is feed.latest  # the very reading the badges show
        # After an unseal or an init the checks want a reading taken later, and get it from the feed too.
        asked_at = time.time()
        hub.forget_vault()
        await hub.refresh_vault()
        assert hub.vault_status is not None and hub.vault_status.read_at >= asked_at
        assert vault_screen.status is not None and vault_screen.badge.feed is feed
        assert health_badge.feed is feed
        # Each read of Vault is one of the feed's: the count differs at most by the read in flight.
        assert 0 <= len(reads) - feed.readings <= 1, (len(reads), feed.readings)
