"""Real ansible-playbook runs over the local connection (no sandbox needed)."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path

import pytest

from actions import gates
from actions.ansible import RunEvent, RunSpec, RunStatus, prepare, run_playbook, run_prepared
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


def test_quiet_task_still_ticks_and_is_cancelled_at_once(settings: Settings) -> None:
    """While a task prints nothing, the run still wakes about ten times a second (flushing the pane's
    batches and checking for a cancel): ansible-runner's 5 s default would hold both back."""
    spec = RunSpec(playbook=str(DATA / "sleep.yml"), inventory=INVENTORY, limit="local1",
                   extra_vars=(("sleep_seconds", "30"),))
    prepared = prepare(spec, settings, None)
    cancel = threading.Event()
    ticks: list[float] = []
    task_seen: list[float] = []

    def on_line(text: str) -> None:
        if "Sleep a long time" in text and not task_seen:
            task_seen.append(time.monotonic())

    def on_tick() -> None:
        ticks.append(time.monotonic())
        # Two seconds into the quiet task, ask for a cancel: it must land well before the next 5 s tick.
        if task_seen and ticks[-1] - task_seen[0] > 2 and not cancel.is_set():
            cancel.set()

    t0 = time.monotonic()
    result = run_prepared(prepared, permit=gates.issue(prepared.request, confirmed=True), on_line=on_line,
                          on_tick=on_tick, cancel=cancel)
    took = time.monotonic() - t0
    assert result.status is RunStatus.CANCELLED
    assert task_seen, "the task's header never reached on_line"
    quiet = [t for t in ticks if t > task_seen[0]]
    assert len(quiet) >= 12, f"only {len(quiet)} ticks while the task slept"  # 2 s at ~10 per second
    gaps = [b - a for a, b in itertools.pairwise(quiet)]
    assert max(gaps) < 0.5, f"the run's loop slept {max(gaps):.1f}s without output"
    assert took < 15, f"the cancel took until {took:.0f}s into the run"
