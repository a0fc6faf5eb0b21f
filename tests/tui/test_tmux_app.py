"""The real `factory-tui` binary in tmux against the sandbox, driven with keys, read from the screen.

Kill -9 in the middle of a step (its gate is open, the step is journalled as running), start again: the app
names the checklist in progress and the step reads "interrupted", never done.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import cli_env, stop_tmux_server

SESSION = f"factory-test-{os.getpid()}"
BINARY = Path(sys.executable).with_name("factory-tui")


def tmux(*args: str) -> str:
    # A server of its own (-L), so the operator's tmux settings and sessions play no part.
    return subprocess.run(["tmux", "-L", SESSION, "-f", "/dev/null", *args], capture_output=True, text=True,
                          check=False).stdout


def screen() -> str:
    return tmux("capture-pane", "-p", "-t", SESSION)


def wait_text(text: str, timeout: float = 90.0) -> str:
    deadline = time.monotonic() + timeout
    shown = ""
    while time.monotonic() < deadline:
        shown = screen()
        if text in shown:
            return shown
        time.sleep(0.3)
    raise AssertionError(f"{text!r} never appeared; the screen shows:\n{shown}")


def keys(*names: str) -> None:
    for name in names:
        tmux("send-keys", "-t", SESSION, name)
        time.sleep(0.4)


def start_app(env: dict[str, str]) -> None:
    command = " ".join(f"{k}={v}" for k, v in env.items() if k.startswith("FACTORY_"))
    # COLUMNS/LINES from the test runner would override the pane size the app reads.
    tmux("new-session", "-d", "-s", SESSION, "-x", "140", "-y", "42",
         f"env -u COLUMNS -u LINES {command} {BINARY} -i sandbox")
    tmux("resize-window", "-t", SESSION, "-x", "140", "-y", "42")


def app_pid() -> int:
    """The app's own pid: the pane's process or one below it (the shell may or may not exec)."""
    from actions.sandbox.procs import descendants

    pane = int(tmux("list-panes", "-t", SESSION, "-F", "#{pane_pid}").split()[0])
    for pid in [pane, *descendants(pane)]:
        args = subprocess.run(["ps", "-o", "args=", "-p", str(pid)], capture_output=True, text=True).stdout
        if "factory-tui" in args and not args.startswith("env "):
            return pid
    raise AssertionError("the app's process is not in the tmux pane")


@pytest.fixture
def tmux_session() -> object:
    assert shutil.which("tmux"), "tmux is installed by scripts/setup.sh"
    assert BINARY.exists(), BINARY
    yield SESSION
    stop_tmux_server(SESSION)


def test_kill_9_mid_step_then_resume(sandbox: object, tmux_session: object, tmp_path: Path) -> None:
    settings = sandbox.settings  # type: ignore[attr-defined]
    env = cli_env(settings.model_copy(update={"state_dir": settings.state_dir}))
    # A journal of its own, so other tests' sessions do not show up here.
    env["FACTORY_STATE_DIR"] = str(tmp_path / "state")
    env["FACTORY_OPERATOR"] = "ana"  # who the app records; otherwise it asks
    (tmp_path / "state").mkdir()
    os.symlink(settings.sandbox_dir, tmp_path / "state" / "sandbox")
    start_app(env)
    wait_text("SANDBOX lab")
    keys("2")
    wait_text("Recovery (power cut")
    keys("Down", "Enter")
    wait_text("Start a recovery session now?")
    keys("Enter")  # no reason given; the name is known
    wait_text("Every Pi reachable")
    keys("Enter")  # the first step: skip it with a reason
    wait_text("Run action")
    keys("s")
    wait_text("why?")
    tmux("send-keys", "-t", SESSION, "-l", "rehearsal in tmux")
    keys("Enter")
    wait_text("skipped")
    keys("Escape")
    wait_text("k3s active and every node Ready")
    keys("Down", "Enter")
    wait_text("systemctl restart k3s")
    # Wait for the lock to lift (health readings), then open the gate: the step is now running.
    deadline = time.monotonic() + 90
    while "Confirm a change" not in screen():
        assert time.monotonic() < deadline, screen()
        keys("x")
        time.sleep(1.5)
    os.kill(app_pid(), signal.SIGKILL)
    time.sleep(1)
    tmux("kill-session", "-t", SESSION)

    start_app(env)
    shown = wait_text("Checklist in progress")
    assert "stopped at step k3s" in shown.replace("\n", " ")
    keys("2")
    wait_text("INCIDENT")
    keys("Enter")
    deadline = time.monotonic() + 60
    while True:  # the notification may say "interrupted" before the table is drawn
        shown = screen()
        rows = [line for line in shown.splitlines() if " k3s " in line and "[" in line]
        if rows or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert rows, shown
    row = rows[0]
    assert "interrupted" in row and "done" not in row, shown
    assert "skipped" in next(line for line in shown.splitlines() if " reachable " in line)


def test_a_broken_config_ends_the_app_with_one_line(tmux_session: object, tmp_path: Path) -> None:
    """The app paints before it reads the settings: a broken file still ends it with one line on the
    terminal it gave back, and exit status 1, as it did when the settings were read first."""
    config = tmp_path / "config.toml"
    config.write_text('[health]\ninterval = "soon"\n')
    tmux("new-session", "-d", "-s", SESSION, "-x", "200", "-y", "30",
         f"env -u COLUMNS -u LINES FACTORY_STATE_DIR={tmp_path / 'state'} {BINARY} --config {config} -i sandbox;"
         " echo exit=$?; sleep 120")
    shown = wait_text("exit=")
    said = [line for line in shown.splitlines() if line.strip()]
    assert said[-1] == "exit=1", shown
    assert said[:-1] == [f"factory-tui: {config}: health.interval: Input should be a valid number, unable to "
                         "parse string as a number (got 'soon')"], shown
