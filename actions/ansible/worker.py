"""The child process that runs one playbook through ansible-runner: ``python -m actions.ansible.worker``.

The app starts it (:mod:`actions.ansible.spawn`) for every run, so that ansible-runner's loop (the pty it
reads ansible-playbook through, pexpect's matching, the artifacts it writes) has its own interpreter and
its own share of the CPU, and never holds the UI's interpreter lock.

What goes through its pipes:

- **stdin**: one JSON line, the job (:func:`run`'s keys), secrets included: the become password answers
  Ansible's prompt through the pty and the secret environment goes to ansible-playbook only, so neither is
  ever in this process's argv or environment, nor on disk. Then nothing more: the app closes stdin to cancel
  the run, and a stdin closed because the app is gone cancels it too.
- **stdout**: one record a line, its first character saying what it is (:data:`OUTPUT`, :data:`PID`,
  :data:`END`, :data:`FAILED`). The playbook's output lines go as they are (events included, see
  :mod:`actions.ansible.events`): the app parses them, as it parses a replay, so there is one parser.
- **stderr**: anything else (a traceback), which the app keeps for its error message and its log.

On a cancel, this process stops ansible-playbook's whole tree (its workers start their own sessions, so
the process group is not enough) and reports how the run ended, as it does at the end of any run.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

# Record kinds, the first character of each line on stdout.
OUTPUT = "o"  # one line of the playbook's output
PID = "p"  # ansible-playbook's pid, as soon as it runs (the app stops it if this process dies)
END = "r"  # how ansible-runner says the run ended: {"status": ..., "rc": ...}
FAILED = "!"  # the run could not be carried out: why

CALLBACK_DIR = Path(__file__).resolve().parent / "plugins" / "callback"
# How often the loop wakes up without output: the cancel check.
TICK = 0.1
# Matched (and answered with nothing) once per chunk read from the pty: pexpect keeps everything read since
# its last match and copies it on every timeout, which made a long run's reads quadratic.
_ANY_LINE = re.compile(r"\n")
# After a little output the loop naps this long before it reads again, so that it takes several lines per
# wake-up: each wake-up of ansible-runner's loop (pexpect's expect, a poll, a waitpid) cost as much as the
# lines it brought, and reading several at once halved its CPU. A burst (BURST characters or more) is read
# on at once, so the pty's buffer never fills and holds Ansible back.
NAP = 0.02
BURST = 1000
# During a burst, output is written to the app at most this often (or once FLUSH_BYTES have gathered), so
# that each of the app's wake-ups takes many lines.
FLUSH = 0.02
FLUSH_BYTES = 1 << 16
_LINES = re.compile(r"\r?\n")
_SECRET_NAME = re.compile(r"TOKEN|PASSW|SECRET|PRIVATE|CREDENTIAL|API_?KEY|UNSEAL", re.I)


def _runner_callback_dir() -> Path:
    """Where ansible-runner keeps its own display callback (found without importing ansible_runner)."""
    import importlib.util

    spec = importlib.util.find_spec("ansible_runner")
    origin = spec.origin if spec is not None and spec.origin else "."
    return (Path(origin).parent / "display_callback" / "callback").resolve()


def _children() -> list[int]:
    """This process's children: ansible-playbook, once ansible-runner has started it."""
    import psutil

    return [child.pid for child in psutil.Process().children()]


class _Pump:
    """Output from ansible-runner's loop to the app, and the app's cancel back into it."""

    def __init__(self, wire: IO[bytes], cancel: threading.Event, *, children: Callable[[], list[int]] = _children,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.wire = wire
        self.cancel = cancel
        self._children = children
        self._sleep = sleep
        self.parts: list[str] = []
        self.size = 0
        self.killed = False
        self.pid_sent = False
        self._read = 0  # characters of output since the loop last woke up
        self._flushed = time.monotonic()

    def record(self, kind: str, body: str) -> None:
        """Queue one record; ``body`` has no line break (output is split into lines before)."""
        self.parts.append(kind + body + "\n")
        self.size += len(body) + 2

    def output(self, data: dict[str, Any]) -> None:
        """ansible-runner's event callback: what it read from the pty, usually one line, sometimes several."""
        chunk = data.get("stdout")
        if chunk is not None:  # blank lines too: the pane shows what a terminal would
            self._read += len(chunk) + 1
            for line in _LINES.split(chunk):
                self.record(OUTPUT, line)

    def flush(self) -> None:
        """Write what has gathered to the app in one piece."""
        self._flushed = time.monotonic()
        if not self.parts:
            return
        data = "".join(self.parts).encode("utf-8", "replace")
        self.parts.clear()
        self.size = 0
        try:
            self.wire.write(data)
            self.wire.flush()
        except OSError:  # the app is gone: nobody wants this run any more
            self.cancel.set()

    def check(self) -> bool:
        """ansible-runner's cancel callback, called after every chunk read and at least every TICK."""
        bursting = self._read >= BURST
        if not self.pid_sent:
            self._send_pid()
        if not bursting or self.size >= FLUSH_BYTES or time.monotonic() - self._flushed >= FLUSH:
            self.flush()
        if 0 < self._read < BURST:
            self._sleep(NAP)
        self._read = 0
        if not self.cancel.is_set():
            return False
        if not self.killed:
            self.killed = True
            self._stop_children()
        return True

    def _send_pid(self) -> None:
        children = self._children()
        if children:
            self.pid_sent = True
            self.parts.insert(0, f"{PID}{children[0]}\n")  # ahead of the output: the app may need it first

    def _stop_children(self) -> None:
        from actions.procs import kill_tree

        for pid in self._children():
            kill_tree(pid)


def _redact_command_file(path: Path) -> None:
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    env = doc.get("env") or {}
    doc["env"] = {k: ("<redacted>" if _SECRET_NAME.search(k) else v) for k, v in env.items()}
    path.write_text(json.dumps(doc))


def run(job: dict[str, Any], pump: _Pump) -> tuple[str, int | None]:
    """Run the job through ansible-runner; return its status and ansible-playbook's exit code.

    ``job`` keys: ``cwd``, ``private_data_dir``, ``project_dir`` (or null), ``artifact_dir`` (the parent of
    ``artifacts/``), ``binary``, ``cmdline``, ``passwords`` (prompt pattern to answer), ``env`` (set for
    ansible-playbook on top of this process's environment).
    """
    import ansible_runner

    os.chdir(job["cwd"])  # as if the app ran it: relative paths mean what they meant to the operator
    artifact_dir = Path(job["artifact_dir"]) / "artifacts"

    def status(data: dict[str, Any], runner_config: Any = None) -> None:
        # The command file has just been written with the whole environment: redact it before anything
        # else can read it (ansible-playbook's own environment keeps the real values).
        if data.get("status") == "running":
            _redact_command_file(artifact_dir / "command")

    runner = ansible_runner.interface.init_runner(
        private_data_dir=job["private_data_dir"],
        project_dir=job["project_dir"],
        artifact_dir=job["artifact_dir"],
        ident="artifacts",
        binary=job["binary"],
        cmdline=job["cmdline"],
        passwords=job["passwords"],
        quiet=True,
        suppress_env_files=True,
        rotate_artifacts=0,
        status_handler=status,
        cancel_callback=pump.check,
    )

    # For every line it reads, ansible-runner looks for a partial-event file that only its own callback
    # writes (a failed open and a formatted error each time). Ours carries the events in the stream, so
    # lines go straight to the app: a third of the loop's CPU on a long run.
    def on_output(event_data: dict[str, Any]) -> None:
        runner.last_stdout_update = time.time()
        pump.output(event_data)

    runner.event_callback = on_output
    # Set on the config: ansible-runner drops a ``settings=`` argument when the data dir has no env/settings
    # file, which left the loop's timeout at 5 s (late cancels, output held back).
    runner.config.pexpect_timeout = TICK
    runner.config.pexpect_use_poll = True
    runner.config.expect_passwords[_ANY_LINE] = None
    env = runner.config.env
    env.pop("ORIGINAL_STDOUT_CALLBACK", None)
    env.pop("ANSIBLE_NOCOLOR", None)
    env.update(job["env"])
    # Without ansible-runner's callback directory: Ansible imports every plugin it finds there, and importing
    # awx_display hooks Ansible's display to write a partial JSON file for every event.
    theirs_dir = _runner_callback_dir()
    theirs = [p for p in env.get("ANSIBLE_CALLBACK_PLUGINS", "").split(os.pathsep)
              if p and Path(p).resolve() != theirs_dir]
    env["ANSIBLE_CALLBACK_PLUGINS"] = os.pathsep.join([str(CALLBACK_DIR), *theirs])
    Path(env["ANSIBLE_LOCAL_TEMP"]).mkdir(parents=True, exist_ok=True)
    status_text, rc = runner.run()
    return str(status_text), rc


def _watch_stdin(cancel: threading.Event) -> None:
    """Block until stdin closes (the app cancels, or is gone), then cancel."""
    with contextlib.suppress(OSError, ValueError):
        sys.stdin.buffer.read()
    cancel.set()


def main() -> int:
    """Read the job from stdin, run it, report; the exit code is 0 when a result was reported."""
    # The records get stdout to themselves: anything printed by a library goes to stderr instead.
    wire = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    cancel = threading.Event()
    pump = _Pump(wire, cancel)
    try:
        job = json.loads(sys.stdin.buffer.readline())
    except ValueError:
        pump.record(FAILED, "no job on stdin")
        pump.flush()
        return 2
    threading.Thread(target=_watch_stdin, args=(cancel,), name="stdin", daemon=True).start()
    try:
        status, rc = run(job, pump)
    except Exception as exc:
        import traceback

        traceback.print_exc()
        pump.record(FAILED, " ".join(f"{type(exc).__name__}: {exc}".split()))
        pump.flush()
        return 1
    pump.record(END, json.dumps({"status": status, "rc": rc, "cancelled": pump.killed}))
    pump.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
