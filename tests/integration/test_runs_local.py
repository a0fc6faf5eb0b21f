"""Real ansible-playbook runs over the local connection (no sandbox needed): output, ticks, and the run's
child process (cancel, crash, secrets, order)."""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from pathlib import Path

import psutil
import pytest
from pydantic import SecretStr

from actions import gates
from actions.ansible import RunEvent, RunResult, RunSpec, RunStatus, prepare, replay, run_playbook, run_prepared
from actions.config import Settings
from actions.journal import open_journal
from actions.procs import alive, descendants
from tests.run_threads import RunOnThread, start_run

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


def _gone(pids: list[int], timeout: float = 10) -> list[int]:
    """Those of ``pids`` still running after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return [p for p in pids if alive(p)]


def _sleepers(seconds: int) -> list[int]:
    return [p.pid for p in psutil.process_iter(["cmdline"]) if p.info["cmdline"] == ["sleep", str(seconds)]]


def _sleep_run(settings: Settings, seconds: int, **kw: object) -> RunOnThread:
    """A real run of sleep.yml on local1, on a thread, returned once the sleep runs."""
    spec = RunSpec(playbook=str(DATA / "sleep.yml"), inventory=INVENTORY, limit="local1",
                   extra_vars=(("sleep_seconds", str(seconds)),), **kw)  # type: ignore[arg-type]
    return start_run(prepare(spec, settings, open_journal(settings.state_dir)), lambda: bool(_sleepers(seconds)))


def test_cancel_leaves_no_child_process(settings: Settings) -> None:
    seconds = 5000 + uuid.uuid4().int % 900
    run = _sleep_run(settings, seconds)
    tree = [run.child.pid, run.pids[0], *descendants(run.pids[0])]
    run.cancel.set()
    run.thread.join(60)
    assert not run.thread.is_alive(), "the cancelled run never returned"
    result = run.box["r"]
    assert isinstance(result, RunResult) and result.status is RunStatus.CANCELLED
    assert _gone(tree) == [] and _sleepers(seconds) == []


def test_a_child_that_dies_is_a_clear_error_and_leaves_nothing_running(settings: Settings) -> None:
    seconds = 6000 + uuid.uuid4().int % 900
    run = _sleep_run(settings, seconds)
    tree = [run.pids[0], *descendants(run.pids[0])]
    run.child.kill()  # as a crash would: no goodbye, ansible-playbook orphaned mid-task
    run.thread.join(60)
    if run.thread.is_alive():
        run.cancel.set()
        run.thread.join(30)
        raise AssertionError("the run hung after its process died")
    result = run.box["r"]
    assert isinstance(result, RunResult) and result.status is RunStatus.ERROR
    assert result.message == "the run's process ended without a result: it was killed by SIGKILL"
    assert _gone(tree) == [] and _sleepers(seconds) == []
    record = open_journal(settings.state_dir).get(result.run_id)
    assert record is not None and record.status == "error" and "SIGKILL" in record.message


def test_secrets_reach_the_child_over_stdin_only(settings: Settings) -> None:
    """The become password and the secret environment are in no argv or environment of the run's own
    process (another user's `ps e` would show them); the secret environment does reach ansible-playbook."""
    become, token = f"become-{uuid.uuid4().hex}", f"token-{uuid.uuid4().hex}"
    seconds = 7000 + uuid.uuid4().int % 900
    run = _sleep_run(settings, seconds, become_password=SecretStr(become),
                     secret_env=(("FACTORY_TEST_TOKEN", SecretStr(token)),))
    try:
        child = run.child
        seen = " ".join(child.cmdline()) + " ".join(f"{k}={v}" for k, v in child.environ().items())
        assert become not in seen and token not in seen
        playbook = psutil.Process(run.pids[0])
        assert playbook.environ().get("FACTORY_TEST_TOKEN") == token  # where it was meant to go
        assert become not in " ".join(playbook.cmdline())
    finally:
        run.cancel.set()
        run.thread.join(60)
    result = run.box["r"]
    assert isinstance(result, RunResult) and result.status is RunStatus.CANCELLED


def test_events_arrive_in_order(settings: Settings) -> None:
    """Live, the run's lines and events come in the order Ansible wrote them: the same sequence its
    artifacts replay, each host's loop items in turn, the playbook's start first and the recap last."""
    spec = RunSpec(playbook=str(DATA / "stream.yml"), inventory=INVENTORY, check=True,
                   extra_vars=(("stream_items", "300"),))
    events: list[RunEvent] = []
    lines: list[str] = []
    result = run_playbook(spec, settings, on_event=events.append, on_line=lines.append)
    assert result.status is RunStatus.OK, result.message
    assert result.artifacts is not None
    replayed = list(replay(result.artifacts))
    assert events == [ev for _, ev in replayed if ev is not None]
    assert lines == [line for line, _ in replayed if line is not None]
    assert events[0].kind == "playbook_start" and events[-1].kind == "stats"
    for host in ("local1", "local2"):
        items = [int(ev.item) for ev in events if ev.kind == "item_ok" and ev.host == host and ev.item]
        assert items == list(range(300)), host
