"""The app's side of a run's child process (:mod:`actions.ansible.worker`): start it, feed it, read it, stop it.

The child runs in a session of its own, so a Ctrl-C at the terminal reaches the app alone, which turns it
into a cancel. Its output arrives over a pipe, read here on the calling thread (the run's worker thread),
many lines per wake-up; the thread wakes at least every :data:`TICK` for ``on_tick`` and the cancel check.

Stopping, in every way a run can end, leaves nothing running:

- a cancel closes the child's stdin; the child stops ansible-playbook's whole tree and reports the end;
  a child that has not ended :data:`GRACE` seconds later is killed with everything below it;
- a child that dies (killed, crashed) leaves ansible-playbook orphaned: its pid came first on the pipe, so
  its tree is stopped here, and the run ends with the reason (the child's last words or its signal).
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from actions.ansible.worker import END, FAILED, OUTPUT, PID, TICK
from actions.applog import logger
from actions.procs import describe_exit, kill_tree

_log = logger("runs")
# The directory that holds the ``actions`` package the app runs from: the child imports the same code.
_ROOT = Path(__file__).resolve().parents[2]
# How long a cancelled child has to stop its playbook and report, before it is killed with its tree.
GRACE = 10.0
_READ = 1 << 16
_STDERR_KEPT = 8192


@dataclass
class WorkerEnd:
    """How the child process ended. ``status`` is ansible-runner's (``successful``, ``failed``,
    ``canceled``, ...) or empty when the child gave no result; ``error`` then says why."""

    status: str = ""
    rc: int | None = None
    cancelled: bool = False
    error: str = ""


class _Reader:
    """Splits the child's stdout into records and hands each to its taker."""

    def __init__(self, on_line: Callable[[str], None]) -> None:
        self.on_line = on_line
        self.pending = b""
        self.playbook: psutil.Process | None = None
        self.end: dict[str, Any] | None = None
        self.failed = ""

    def feed(self, data: bytes) -> None:
        """Take what one read brought: whole records are handled, a cut one waits for the rest."""
        *lines, self.pending = (self.pending + data).split(b"\n")
        on_line = self.on_line
        for raw in lines:
            record = raw.decode("utf-8", "replace")
            kind = record[:1]
            if kind == OUTPUT:
                on_line(record[1:])
            elif kind == PID:
                # Kept as a process (pid and start time): a pid reused later is never mistaken for it.
                with contextlib.suppress(psutil.Error, ValueError):
                    self.playbook = psutil.Process(int(record[1:]))
            elif kind == END:
                with contextlib.suppress(ValueError):
                    self.end = json.loads(record[1:])
            elif kind == FAILED:
                self.failed = record[1:]


class _Loop:
    """The reading loop of one child: its output, its stderr, ticks, and the cancel with its deadline."""

    def __init__(self) -> None:
        self.asked: float | None = None  # when the cancel was passed on
        self.killed = False

    def pump(self, proc: subprocess.Popen[bytes], reader: _Reader, cancel: threading.Event,
             on_tick: Callable[[], None] | None) -> bytes:
        """Read until the child's pipes close (or it has been gone a second); return its stderr's tail."""
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        stderr = b""
        last_tick = 0.0
        exited: float | None = None
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ, "out")
            sel.register(proc.stderr, selectors.EVENT_READ, "err")
            while sel.get_map():
                for key, _ in sel.select(TICK):
                    data = os.read(key.fd, _READ)
                    if not data:
                        sel.unregister(key.fileobj)
                    elif key.data == "out":
                        reader.feed(data)
                    else:
                        stderr = (stderr + data)[-_STDERR_KEPT:]
                now = time.monotonic()
                if on_tick is not None and now - last_tick >= TICK:
                    last_tick = now
                    on_tick()
                if cancel.is_set() and self.asked is None:
                    self.asked = now
                    with contextlib.suppress(OSError):
                        proc.stdin.close()
                # (Still unreaped, so the pid is still the child's.)
                if self.asked is not None and not self.killed and now - self.asked > GRACE and proc.poll() is None:
                    _log.warning("run process %s did not stop %.0f s after a cancel: killing it", proc.pid, GRACE)
                    self.killed = True
                    kill_tree(proc.pid)
                # A pipe held open by something the child left behind must not keep the run going.
                if exited is None and proc.poll() is not None:
                    exited = now
                if exited is not None and now - exited > 1.0:
                    break
        return stderr


def run_worker(job: dict[str, Any], on_line: Callable[[str], None], cancel: threading.Event,
               on_tick: Callable[[], None] | None = None) -> WorkerEnd:
    """Run ``job`` (see :func:`actions.ansible.worker.run`) in a child process and stream its output lines
    to ``on_line`` on this thread; returns when the child and everything it started are gone."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "actions.ansible.worker"], cwd=_ROOT, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    reader = _Reader(on_line)
    # The job carries the secrets: they go through the pipe only (never argv, environment or disk).
    with contextlib.suppress(OSError):  # a child that died at once says why on stderr
        proc.stdin.write(json.dumps(job).encode() + b"\n")
        proc.stdin.flush()
    state = _Loop()
    try:
        stderr = state.pump(proc, reader, cancel, on_tick)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(GRACE)  # its pipes are closed: it is on its way out
    finally:
        with contextlib.suppress(OSError):
            proc.stdin.close()
        if proc.poll() is None:  # left early (a callback raised) or stuck: nothing of the run may live on
            kill_tree(proc.pid)
        code = proc.wait()
        proc.stdout.close()
        proc.stderr.close()
        _stop_leftovers(reader.playbook)
    if reader.end is not None:
        return WorkerEnd(status=str(reader.end.get("status") or ""), rc=reader.end.get("rc"),
                         cancelled=bool(reader.end.get("cancelled")) or state.asked is not None)
    words = stderr.decode("utf-8", "replace").strip()
    if words:
        _log.error("run worker %s %s; its stderr:\n%s", proc.pid, describe_exit(code), words)
    last = words.splitlines()[-1] if words else ""
    why = reader.failed or last or f"it {describe_exit(code)}"
    return WorkerEnd(cancelled=state.asked is not None, error=f"the run's process ended without a result: {why}")


def _stop_leftovers(playbook: psutil.Process | None) -> None:
    """ansible-playbook and its tree, if the child died before it could stop them."""
    if playbook is None:
        return
    try:
        running = playbook.is_running() and playbook.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return
    if running:
        _log.warning("ansible-playbook %s outlived its run's process: stopping its tree", playbook.pid)
        kill_tree(playbook.pid)
