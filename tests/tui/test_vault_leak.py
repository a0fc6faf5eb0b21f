"""Init and unseal through the app, then look for every share and the root token everywhere they must
not be: the state dir (the app's log and every library's included), the captured log records,
stdout/stderr, the server's log, the screens, the inputs and the clipboard. None may be found."""

from __future__ import annotations

import base64
import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input
from vault_helpers import text_of, vault_app, wait_for, wait_screen

from actions import applog, change_log
from actions.journal import open_journal
from actions.vault import VaultState
from tests.vault_server import BaoServer
from tui.modals.confirm import ConfirmModal, TypedConfirmModal
from tui.screens.vault import VaultScreen
from tui.screens.vault_init import VaultInitScreen
from tui.screens.vault_unseal import VaultUnsealScreen

pytestmark = pytest.mark.integration


@pytest.fixture
def state_log(tmp_path: Path) -> Iterator[Path]:
    """Everything logged at any level, by any library, goes to a file in the app's state dir."""
    log_file = tmp_path / "state" / "logs" / "debug.log"
    log_file.parent.mkdir(parents=True)
    handler = logging.FileHandler(log_file)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield log_file
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()


@pytest.fixture
def app_log(tmp_path: Path) -> Iterator[Path]:
    """The app's own log, as the command line opens it, at its most talkative level."""
    yield applog.setup(tmp_path / "state", logging.DEBUG)
    applog.shutdown()


def spellings(secret: str) -> list[str]:
    """The secret as shown, and a share's other common spelling (base64 of its bytes)."""
    forms = [secret]
    with contextlib.suppress(ValueError):
        forms.append(base64.b64encode(bytes.fromhex(secret)).decode())
    return forms


async def test_init_and_unseal_leave_no_secret_behind(
    bao: BaoServer, tmp_path: Path, state_log: Path, app_log: Path, caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    app = vault_app(tmp_path / "state", bao.addr)
    seen: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        vault_screen = app.screen
        assert isinstance(vault_screen, VaultScreen)
        await wait_for(pilot, lambda: vault_screen.status is not None
                       and vault_screen.status.state is VaultState.UNINITIALISED, what="not initialised")

        await pilot.press("i")
        await wait_screen(pilot, VaultInitScreen, "#shares")
        init = app.screen
        await pilot.press("enter")  # 5 shares, threshold 3 (the defaults)
        await wait_screen(pilot, TypedConfirmModal, "#typed")
        assert app.screen.request.confirm_name == "127.0.0.1"
        await pilot.press(*"127.0.0.1", "enter")
        await wait_for(pilot, lambda: init.stage == "show", what="the first share")

        for index in range(6):  # 5 shares, then the root token
            value = text_of(init.query_one("#secret-value"))
            assert value and value not in seen
            seen.append(value)
            # Shown once, on screen (once painted): the scan below can see it.
            await wait_for(pilot, lambda v=value: v in app.export_screenshot(), what="the secret on screen")
            if index == 0:
                await pilot.press(*"zzzz", "enter")
                assert "not the end of key share 1" in text_of(init.query_one("#show-message"))
                await pilot.press("escape")
                assert app.screen is init  # leaving now would lose the shares
            await pilot.press(*value[-4:], "enter")
        assert init.stage == "done" and text_of(init.query_one("#secret-value")) == ""
        assert seen[5].startswith("s.")
        assert "5 key shares, 3 needed" in text_of(init.query_one("#done-message"))
        shares, root = seen[:5], seen[5]

        await pilot.click("#unseal")
        await wait_screen(pilot, ConfirmModal, "#confirm")
        await pilot.click("#confirm")
        await wait_screen(pilot, VaultUnsealScreen, "#share")
        unseal = app.screen
        field = unseal.query_one("#share", Input)
        count = unseal.query_one("#unseal-count")
        await wait_for(pilot, lambda: text_of(count) == "0 of 3 shares", what="0 of 3")
        await pilot.press(*shares[3], "enter")
        await wait_for(pilot, lambda: text_of(count) == "1 of 3 shares", what="1 of 3")
        for share, after in ((shares[0], "2 of 3 shares"), (shares[4], "unsealed")):
            field.value = share
            await pilot.press("enter")
            await wait_for(pilot, lambda after=after: text_of(count) == after, what=after)
        await wait_for(pilot, lambda: unseal.unsealed, what="settled")
        unseal_shot = app.export_screenshot()
        await pilot.press("escape")
        await wait_for(pilot, lambda: vault_screen.status is not None
                       and vault_screen.status.state is VaultState.UNSEALED, what="unsealed reading")

        screens = [unseal_shot, app.export_screenshot()]
        for mode in ("health", "runbooks", "runs", "plans", "vault"):
            await pilot.press({"health": "1", "runbooks": "2", "runs": "3", "plans": "4", "vault": "5"}[mode])
            screens.append(app.export_screenshot())
        inputs = [w.value for w in app.screen.query(Input)]
        clipboard = app.clipboard
    out, err = capsys.readouterr()

    secrets_ = [form for secret in [*shares, root] for form in spellings(secret)]
    assert len(secrets_) == 11
    state_files = [p for p in (tmp_path / "state").rglob("*") if p.is_file()]
    assert state_log in state_files and state_log.stat().st_size > 0  # the libraries did log
    # The app's log is scanned too, and it did record the confirmations of the init and the unseal.
    assert app_log in state_files
    assert "gate confirmed: vault.init" in app_log.read_text()
    leaks = []
    for secret in secrets_:
        for path in [*state_files, bao.log]:
            if secret.encode() in path.read_bytes():
                leaks.append(f"{secret[:6]}… in {path}")
        for name, text in [("log records", caplog.text), ("stdout", out), ("stderr", err),
                           ("clipboard", clipboard), ("inputs", " ".join(inputs)),
                           *((f"screen {i}", shot) for i, shot in enumerate(screens))]:
            if secret in text:
                leaks.append(f"{secret[:6]}… in {name}")
    assert leaks == []
    # The journal the scan read holds the init and the unseal, in their own words.
    done = {(c.kind, c.status, c.message) for c in change_log.changes(open_journal(tmp_path / "state"))}
    assert done == {("vault.init", "ok", "initialised: 5 key shares, 3 needed to unseal"),
                    ("vault.unseal", "ok", "unsealed")}
