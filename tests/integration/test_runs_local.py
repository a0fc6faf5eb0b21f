"""Real ansible-playbook runs over the local connection (no sandbox needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from actions.ansible import RunEvent, RunSpec, RunStatus, run_playbook
from actions.config import Settings
from actions.journal import open_journal

pytestmark = pytest.mark.integration
DATA = Path(__file__).resolve().parent.parent / "data" / "playbooks"
INVENTORY = DATA / "local_inventory.yml"


def test_huge_result_is_trimmed_not_dropped(settings: Settings) -> None:
    events: list[RunEvent] = []
    spec = RunSpec(playbook=str(DATA / "huge_result.yml"), inventory=INVENTORY, check=True)
    result = run_playbook(spec, settings, journal=open_journal(settings.state_dir), on_event=events.append)
    assert result.status is RunStatus.OK
    ok = [e for e in events if e.kind == "ok" and e.host == "local1"]
    assert len(ok) == 1
    assert ok[0].message.startswith("xxxx") and "more characters cut" in ok[0].message
    assert 20_000 <= len(ok[0].message) < 21_000
    # ansible-runner's own job_events are not used: no per-event files were written.
    assert result.artifacts is not None and not any((result.artifacts / "job_events").iterdir())
    assert (settings.state_dir / "ansible-home").is_dir()  # ANSIBLE_HOME kept Ansible under the state dir


def test_relative_inventory_path(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """ansible-playbook runs in the collection's directory; a path relative to the caller must still work."""
    monkeypatch.chdir(DATA)
    spec = RunSpec(playbook="hello.yml", inventory=Path("local_inventory.yml"), check=True, limit="local2")
    result = run_playbook(spec, settings)
    assert result.status is RunStatus.OK, result.message
    assert list(result.recap) == ["local2"]
