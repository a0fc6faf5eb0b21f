"""A real run on a thread, for tests that stop it part-way: its result box, ansible-playbook's pid, its cancel."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psutil

from actions import gates
from actions.ansible import PreparedRun, RunEvent, run_prepared


@dataclass
class RunOnThread:
    """A run going on :attr:`thread`; :attr:`box` gets its result under ``"r"``."""

    thread: threading.Thread
    cancel: threading.Event
    box: dict[str, Any] = field(default_factory=dict)
    pids: list[int] = field(default_factory=list)  # ansible-playbook's, from its playbook_start event

    @property
    def child(self) -> psutil.Process:
        """The run's child process (it runs ansible-runner): ansible-playbook's parent."""
        worker = psutil.Process(self.pids[0]).parent()
        assert worker is not None and "actions.ansible.worker" in " ".join(worker.cmdline())
        return worker


def start_run(prepared: PreparedRun, until: Callable[[], bool], timeout: float = 120) -> RunOnThread:
    """Start ``prepared`` (with a permit) on a thread; return once it has started and ``until()`` holds."""
    permit = gates.issue(prepared.request, confirmed=True)
    run = RunOnThread(thread=threading.Thread(target=lambda: None), cancel=threading.Event())

    def on_event(ev: RunEvent) -> None:
        if ev.kind == "playbook_start" and ev.pid:
            run.pids.append(ev.pid)

    run.thread = threading.Thread(target=lambda: run.box.setdefault(
        "r", run_prepared(prepared, permit=permit, cancel=run.cancel, on_event=on_event)))
    run.thread.start()
    deadline = time.monotonic() + timeout
    while not (run.pids and until()):
        assert run.thread.is_alive() and time.monotonic() < deadline, f"the run never got there: {run.box}"
        time.sleep(0.1)
    return run
