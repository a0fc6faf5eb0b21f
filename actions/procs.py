"""Process trees: is a pid alive, what runs below it, and stopping all of it for good.

Stopping a playbook is the case that shaped this: killing ansible-playbook's process group is not enough,
because each worker starts its own session, so its ssh client (and, through the ssh connection, the
command on the remote host) would live on. We list the whole tree under the pid first, while the parent
links still exist, then signal every member. The sandbox stops its servers with the same tools, and the
journal uses :func:`alive` to tell a crashed run from a running one.

psutil reads the process table directly (``/proc`` on Linux, sysctl on macOS): no ``ps`` to fork on every
call, and the same answers on each platform.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time

import psutil

#: How often the state of our own children is read while waiting for them (see :func:`wait_gone`).
_POLL = 0.05


def _process(pid: int) -> psutil.Process | None:
    try:
        return psutil.Process(pid)
    except (psutil.NoSuchProcess, ValueError):
        return None


def _tree(pid: int) -> list[psutil.Process]:
    """The processes below ``pid``, parents before children (psutil walks the tree breadth first)."""
    proc = _process(pid)
    if proc is None:
        return []
    try:
        return list(proc.children(recursive=True))
    except psutil.NoSuchProcess:
        return []


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (not ``pid`` itself), parents before children."""
    return [p.pid for p in _tree(pid)]


def _running(proc: psutil.Process) -> bool:
    try:
        # A zombie is dead for our purpose: it only waits for its parent to reap it.
        return bool(proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True


def alive(pid: int | None) -> bool:
    """``pid`` runs and is not a zombie. Never reaps it: it may be another library's child."""
    if not pid:
        return False
    proc = _process(pid)
    return proc is not None and _running(proc)


def wait_gone(procs: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Wait up to ``timeout`` seconds for ``procs`` to end; return those still running.

    psutil's ``wait_procs`` reaps the processes that are our own children, which would break the library
    that started them (pexpect waits for its ansible-playbook itself): those are watched for their state
    instead, and only the others are handed to ``wait_procs``.
    """
    me = os.getpid()
    own: list[psutil.Process] = []
    others: list[psutil.Process] = []
    for proc in procs:
        try:
            (own if proc.ppid() == me else others).append(proc)
        except psutil.NoSuchProcess:
            continue
    deadline = time.monotonic() + timeout
    _, left = psutil.wait_procs(others, timeout=timeout) if others else ([], [])
    still = [p for p in own if _running(p)]
    while still and time.monotonic() < deadline:
        time.sleep(_POLL)
        still = [p for p in still if _running(p)]
    return [p for p in left if _running(p)] + still


def _signal(procs: list[psutil.Process], kill: bool) -> None:
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            proc.kill() if kill else proc.terminate()


def describe_exit(code: int | None) -> str:
    """How a child process ended, from its return code: ``exited with 1``, ``was killed by SIGKILL``."""
    if code is None:
        return "did not exit"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"was killed by {name}"
    return f"exited with {code}"


def kill_tree(pid: int, grace: float = 1.5) -> list[int]:
    """SIGTERM ``pid`` and its whole tree, then SIGKILL what is left after ``grace`` seconds."""
    root = _process(pid)
    tree = [*_tree(pid), *([root] if root is not None else [])]
    # Leaves first: the ssh clients go before the workers that would report their death as a failure.
    _signal(list(reversed(tree)), kill=False)
    left = wait_gone(tree, grace)
    pids = [p.pid for p in tree]
    if not left:
        return pids
    # Anything spawned meanwhile (a worker that was starting ssh) is caught by a second listing.
    late = [child for proc in left for child in _tree(proc.pid) if child.pid not in pids]
    _signal(left + late, kill=True)
    return pids + [p.pid for p in late]
