"""Process trees: is a pid alive, what runs below it, and stopping all of it for good.

Stopping a playbook is the case that shaped this: killing ansible-playbook's process group is not enough,
because each worker starts its own session, so its ssh client (and, through the ssh connection, the
command on the remote host) would live on. We list the whole tree under the pid first, while the parent
links still exist, then signal every member. The sandbox stops its servers with the same tools, and the
journal uses :func:`alive` to tell a crashed run from a running one. ``ps`` works alike on macOS and Linux.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time


def _children_map() -> dict[int, list[int]]:
    try:
        out = subprocess.run(
            ["ps", "-A", "-o", "pid=", "-o", "ppid="], capture_output=True, text=True, timeout=5, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    children: dict[int, list[int]] = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
            children.setdefault(int(parts[1]), []).append(int(parts[0]))
    return children


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (not ``pid`` itself), parents before children."""
    children = _children_map()
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(0), []):
            if child not in found:
                found.append(child)
                todo.append(child)
    return found


def alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # Never waitpid() here: the pid may be another library's child (pexpect's ansible-playbook), and
    # reaping it would break that library. A zombie is told apart by its state instead.
    try:
        # A zombie is dead for our purpose: it only waits for its parent to reap it.
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ", 1)[1][:1] != "Z"
    except FileNotFoundError:
        # No /proc (macOS), or the process went meanwhile: ps answers both.
        out = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True, check=False)
        return bool(out.stdout.strip()) and not out.stdout.strip().startswith("Z")
    except (OSError, IndexError):
        return True


def _signal(pids: list[int], sig: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def kill_tree(pid: int, grace: float = 1.5) -> list[int]:
    """SIGTERM ``pid`` and its whole tree, then SIGKILL what is left after ``grace`` seconds."""
    tree = [*descendants(pid), pid]
    # Leaves first: the ssh clients go before the workers that would report their death as a failure.
    _signal(list(reversed(tree)), signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not any(alive(p) for p in tree):
            return tree
        time.sleep(0.05)
    # Anything spawned meanwhile (a worker that was starting ssh) is caught by a second listing.
    for p in list(tree):
        for d in descendants(p):
            if d not in tree:
                tree.append(d)
    _signal([p for p in tree if alive(p)], signal.SIGKILL)
    return tree
