"""File locks hold across processes and are all-or-none for a set of hosts."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from actions.locks import FileLock, LockBusy, host_locks


def test_second_holder_is_refused_with_the_holder_named(tmp_path: Path) -> None:
    with FileLock(tmp_path / "host-pi1.lock", "run 01_system"), pytest.raises(LockBusy, match="run 01_system"):
        FileLock(tmp_path / "host-pi1.lock", "other").acquire()
    FileLock(tmp_path / "host-pi1.lock", "again").acquire()


def test_lock_set_is_all_or_none(tmp_path: Path) -> None:
    held = host_locks(tmp_path, ["pi2"], "first")
    held.acquire()
    both = host_locks(tmp_path, ["pi1", "pi2"], "second")
    with pytest.raises(LockBusy):
        both.acquire()
    # pi1 was released when pi2 failed, so a run on pi1 alone can go.
    with host_locks(tmp_path, ["pi1"], "third"):
        pass
    held.release()


def test_lock_held_by_another_process(tmp_path: Path) -> None:
    code = (
        "import sys, time; sys.path.insert(0, sys.argv[2]);"
        "from actions.locks import FileLock; from pathlib import Path;"
        "l = FileLock(Path(sys.argv[1]), 'other app'); l.acquire(); print('held', flush=True); time.sleep(30)"
    )
    root = str(Path(__file__).resolve().parents[2])
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "x.lock"), root], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"held"
        with pytest.raises(LockBusy, match="other app"):
            FileLock(tmp_path / "x.lock").acquire()
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 5
    while True:  # the kernel drops the lock with the process
        try:
            FileLock(tmp_path / "x.lock").acquire()
            break
        except LockBusy:
            assert time.monotonic() < deadline
            time.sleep(0.05)
