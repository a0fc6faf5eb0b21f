"""The health screen under Pilot shows the off-site copy's age beside the local dumps' on pi2's backups line,
read by the app's poller from the sandbox's real sshd; a failed copy turns the line and pi2's card, and the
card says why (the status file's error)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from actions import sandbox as sb
from actions.config import load_settings
from actions.lab import load_lab
from tests.integration.test_backup_freshness import backup_root as backup_root  # the fixture
from tests.integration.test_backup_freshness import lay_out
from tests.integration.test_offsite_health import WRONG_PASSWORD, offsite_inventory, write_status
from tests.tui.test_health_screen import CALM, card_text, text, until
from tui.app import FactoryApp

pytestmark = pytest.mark.integration


async def test_the_backups_line_shows_the_offsite_age_then_its_failure(
    sandbox: sb.SandboxStatus, tmp_path: Path, backup_root: Path
) -> None:
    lay_out(backup_root, gitea_age=1.0)
    write_status(backup_root, result="ok", success_age_h=3.0)
    settings = load_settings(None, state_dir=tmp_path / "state", health={"interval": 0.5, "thresholds": CALM})
    app = FactoryApp(settings=settings, lab=load_lab(offsite_inventory(sandbox, tmp_path, backup_root)))
    async with app.run_test(size=(160, 40)) as pilot:
        def line() -> str:
            return text(app.screen.query_one("#health-known", Static))

        await until(pilot, lambda: "off-site" in line(), 30, "the backups line")
        assert "backups on pi2: gitea 1h00m · " in line() and " · off-site 3h00m" in line()
        # Waited for, not read once: with a half-second interval a loaded machine can show a reading late
        # enough to be called stale for a moment, which is what the card should then say.
        await until(pilot, lambda: "OK" in card_text(app, "pi2"), 30, "pi2's card ok")

        write_status(backup_root, result="failed", success_age_h=3.0, error=WRONG_PASSWORD)
        # A slow tick (every fifth) reads the status file again.
        await until(pilot, lambda: "off-site FAILED" in line(), 30, "the failed copy on the backups line")
        await until(pilot, lambda: "WARN" in card_text(app, "pi2")
                    and "wrong repository password" in card_text(app, "pi2"), 30, "pi2's card warning, with why")
