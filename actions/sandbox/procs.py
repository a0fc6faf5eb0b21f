"""Process and port helpers for the sandbox: start detached, find by pid file, stop by pid, probe ports."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
from pathlib import Path

from actions.procs import alive as pid_alive
from actions.procs import descendants


def read_pid(path: Path) -> int | None:
    """The pid in a pid file, or ``None``."""
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def stop_tree(pid: int | None, sig: int = signal.SIGTERM, timeout: float = 5.0) -> bool:
    """Stop ``pid`` and what it spawned (sshd's per-connection sessions outlive their listener)."""
    if not pid_alive(pid):
        return True
    assert pid is not None
    below = descendants(pid)
    gone = stop_pid(pid, sig, timeout)
    for child in below:
        stop_pid(child, signal.SIGTERM, 1.0)
    return gone


def _reap(pid: int) -> None:
    """The sandbox's servers are our children when `up` ran in this process: collect their exit."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def stop_pid(pid: int | None, sig: int = signal.SIGTERM, timeout: float = 5.0) -> bool:
    """Signal ``pid`` and wait for it to go; SIGKILL after ``timeout``. True when it is gone."""
    if not pid_alive(pid):
        return True
    assert pid is not None
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _reap(pid)
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.1)
    return not pid_alive(pid)


def port_open(address: str, port: int, timeout: float = 0.3) -> bool:
    """Something accepts TCP connections on ``address:port``."""
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False


def port_free(address: str, port: int) -> bool:
    """Nothing listens on ``address:port``."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((address, port))
        except OSError:
            return False
    return True


def wait_port(address: str, port: int, timeout: float, alive: int | None = None) -> bool:
    """Wait until the port answers; give up early when the process ``alive`` has died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(address, port, timeout=0.2):
            return True
        if alive is not None and not pid_alive(alive):
            return False
        time.sleep(0.05)
    return False


def tail(path: Path, lines: int = 5) -> str:
    """The last ``lines`` lines of a log, for an error message."""
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])
