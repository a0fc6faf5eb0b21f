"""A CLI command's terminal gate, answered through a real pty: a wrong word, the end of input or Ctrl-C."""

from __future__ import annotations

import io
import platform
import sys
import time
from pathlib import Path

import pexpect

ROOT = Path(__file__).resolve().parents[1]
# The console script's entry point, run by this interpreter (no reliance on PATH).
ENTRY = ["-c", "import sys; from tui.cli import main; sys.exit(main())"]
# Each way of not confirming, and the exit code and words the command ends with.
REFUSALS = {
    "wrong": (1, "nothing was changed"),
    "eof": (1, "not confirmed: end of input; nothing was changed"),
    "ctrl-c": (130, "not confirmed (interrupted); nothing was changed"),
}


# The read(2) system call's number, by machine: /proc/PID/syscall names the call a process is blocked in.
READ_SYSCALL = {"x86_64": 0, "aarch64": 63}


def wait_reading_the_terminal(pid: int, timeout: float = 60.0) -> None:
    """Wait until ``pid`` is blocked reading its stdin. The prompt is written before the read begins: a
    Ctrl-C in between sets Python's flag and is then lost to the read that blocks (the command waits for a
    line forever). A person cannot be that quick; a test on a loaded machine can."""
    number = READ_SYSCALL[platform.machine()]
    deadline = time.monotonic() + timeout
    while True:
        fields = Path(f"/proc/{pid}/syscall").read_text().split()
        if fields[:2] == [str(number), "0x0"]:
            return
        assert time.monotonic() < deadline, f"the command never read its terminal: {' '.join(fields[:2])}"
        time.sleep(0.01)


def refuse_at_gate(args: list[str], env: dict[str, str], prompt: str, how: str, wrong: str = "nope") -> str:
    """Run ``factory-tui ARGS`` on a terminal, wait for ``prompt``, answer ``how``; returns what the terminal
    showed, after checking the exit code, the last words and that no traceback came out."""
    child = pexpect.spawn(sys.executable, [*ENTRY, *args], env=env, cwd=str(ROOT), encoding="utf-8", timeout=120)
    seen = io.StringIO()
    child.logfile_read = seen
    try:
        child.expect_exact(prompt)
        wait_reading_the_terminal(child.pid)
        if how == "wrong":
            child.sendline(wrong)
        elif how == "eof":
            child.sendeof()
        else:
            child.sendintr()
        child.expect(pexpect.EOF)
    finally:
        child.close()
    transcript = seen.getvalue()
    code, words = REFUSALS[how]
    assert child.exitstatus == code, transcript
    assert words in transcript and "Traceback" not in transcript, transcript
    return transcript
