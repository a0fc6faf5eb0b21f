"""Command palette entries: ``"area: what it does"``, each calling an app action.

Screens add their own entries to ``COMMANDS``; the provider offers the ones whose action the app has.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

# (palette text, help, app action string)
COMMANDS: list[tuple[str, str, str]] = [
    ("screen: health", "The live health glance of every Pi", "app.switch_mode('health')"),
    ("screen: runbooks", "Guided bring-up and recovery checklists", "app.switch_mode('runbooks')"),
    ("screen: runs", "Playbook runs and their history", "app.switch_mode('runs')"),
    ("screen: plans", "OpenTofu plans", "app.switch_mode('plans')"),
    ("screen: vault", "Vault seal status, unseal, init", "app.switch_mode('vault')"),
    ("health: refresh now", "Probe every host now", "app.goto('health', 'refresh_now')"),
    ("health: take a known-good snapshot", "Fingerprint every host now and keep it, if every host is green",
     "app.goto('health', 'known_good')"),
    ("ansible: run playbook", "Pick a playbook, limit and tags (check mode by default)", "app.goto('runs', 'new_run')"),
    ("tofu: plan the selected root", "Plan (read-only) the selected root", "app.goto('plans', 'plan')"),
    ("vault: unseal", "Enter key shares one at a time", "app.goto('vault', 'unseal')"),
    ("runbook: resume recovery", "Open the recovery checklist where it stopped", "app.open_runbook('recovery')"),
    ("runbook: resume bring-up", "Open the bring-up checklist where it stopped", "app.open_runbook('bringup')"),
    ("app: help", "Keys and screens", "app.help"),
]


class FactoryCommands(Provider):
    """The app's commands in the palette (``screen: ...``, ``runbook: ...``, ``ansible: ...``)."""
    async def discover(self) -> Hits:
        """Every command, listed when the palette opens empty."""
        for text, help_text, action in COMMANDS:
            yield DiscoveryHit(text, partial(self.app.run_action, action), help=help_text)

    async def search(self, query: str) -> AsyncIterator[Hit]:
        """The commands that match ``query``, scored, with the match highlighted."""
        matcher = self.matcher(query)
        for text, help_text, action in COMMANDS:
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), partial(self.app.run_action, action), help=help_text)
