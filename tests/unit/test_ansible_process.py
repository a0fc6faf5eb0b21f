"""kill_tree reaches children that left the parent's session (as Ansible's workers do with setsid)."""

from __future__ import annotations

import subprocess
import sys
import time

import psutil
import pytest

from actions.procs import alive, descendants, kill_tree

# A parent that starts a child in a new session, which starts a grandchild; all sleep.
TREE = (
    "import os, subprocess, time\n"
    "subprocess.Popen(['sh', '-c', 'sleep 1000 & exec sleep 1001'], start_new_session=True)\n"
    "time.sleep(1000)\n"
)


def test_kill_tree_reaches_setsid_children() -> None:
    parent = subprocess.Popen([sys.executable, "-c", TREE])
    try:
        deadline = time.monotonic() + 30
        while len(descendants(parent.pid)) < 2:
            assert time.monotonic() < deadline, descendants(parent.pid)
            time.sleep(0.05)
        tree = descendants(parent.pid)
        killed = kill_tree(parent.pid, grace=1.0)
        parent.wait(10)
        assert set(tree) <= set(killed)
        deadline = time.monotonic() + 5
        while any(alive(p) for p in tree) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [p for p in tree if alive(p)] == []
    finally:
        if parent.poll() is None:
            parent.kill()


def test_tree_and_state_read_without_ps(monkeypatch: pytest.MonkeyPatch) -> None:
    """The process table is read directly: with no ``ps`` on PATH the tree is still found, and a child
    that has exited but is not yet reaped (a zombie) counts as gone."""
    parent = subprocess.Popen([sys.executable, "-c", TREE])
    quick = subprocess.Popen([sys.executable, "-c", "pass"])
    monkeypatch.setenv("PATH", "/nonexistent")  # from here on, no `ps` to run
    try:
        deadline = time.monotonic() + 30
        while len(descendants(parent.pid)) < 2:
            assert time.monotonic() < deadline, descendants(parent.pid)
            time.sleep(0.05)
        assert alive(parent.pid)
        # Not reaped: os.waitpid is not called until the end, so it stays a zombie until then.
        deadline = time.monotonic() + 30
        while alive(quick.pid):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        # Still unreaped: alive() never waits for a process that another owner (here Popen) will reap.
        assert psutil.Process(quick.pid).status() == psutil.STATUS_ZOMBIE
    finally:
        kill_tree(parent.pid, grace=1.0)
        parent.wait(10)
        quick.wait(10)
