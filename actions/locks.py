"""Advisory file locks under the state dir, so two runs (or two app instances) never target the same host
or root at once. ``fcntl.flock`` works on macOS and Linux; the lock goes with the process, even on kill -9.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType


class LockBusy(Exception):
    """Something else holds the lock; the message says what and, when known, who."""


class FileLock:
    """One exclusive, non-blocking lock on ``path``. The file holds a note on the holder for messages."""

    def __init__(self, path: Path, note: str = "") -> None:
        self.path = path
        self.note = note
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock without waiting; :class:`LockBusy` (naming the holder) when another process has it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 512).decode(errors="replace").strip()
            os.close(fd)
            raise LockBusy(f"{self.path.stem} is busy" + (f": {holder}" if holder else "")) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{self.note} (pid {os.getpid()})".encode())
        self._fd = fd

    def release(self) -> None:
        """Let the lock go (nothing when not held)."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        """This process holds the lock."""
        return self._fd is not None

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class LockSet:
    """All of several locks or none (e.g. every host a run targets)."""

    def __init__(self, locks: Iterable[FileLock]) -> None:
        self.locks = list(locks)

    def acquire(self) -> None:
        """Take every lock, or none: those taken are let go when one is busy."""
        taken: list[FileLock] = []
        try:
            for lock in self.locks:
                lock.acquire()
                taken.append(lock)
        except LockBusy:
            for lock in taken:
                lock.release()
            raise

    def release(self) -> None:
        """Let every lock go."""
        for lock in self.locks:
            lock.release()

    def __enter__(self) -> LockSet:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def lock_dir(state_dir: Path) -> Path:
    """Where the state dir's lock files live."""
    return state_dir / "locks"


def host_locks(state_dir: Path, hosts: Iterable[str], note: str) -> LockSet:
    """Locks for every host a playbook run will touch."""
    return LockSet(FileLock(lock_dir(state_dir) / f"host-{h}.lock", note) for h in sorted(set(hosts)))


def root_lock(state_dir: Path, root_name: str, note: str) -> FileLock:
    """The lock of one tofu root (plan and apply both take it)."""
    safe = root_name.replace("/", "_")
    return FileLock(lock_dir(state_dir) / f"tofu-{safe}.lock", note)
