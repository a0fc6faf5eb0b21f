"""The troubleshooting log: its level from --log-level or FACTORY_LOG_LEVEL, its place in the state dir,
and an unexpected error's traceback in the file only."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from actions import applog

ROOT = Path(__file__).resolve().parents[2]
MAIN = "import sys; from tui.cli import main; sys.exit(main(sys.argv[1:]))"


@pytest.fixture(autouse=True)
def _close_log() -> Iterator[None]:
    yield
    applog.shutdown()


def test_level_from_flag_then_environment_then_info(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(applog.ENV_LEVEL, raising=False)
    assert applog.resolve_level() == logging.INFO
    monkeypatch.setenv(applog.ENV_LEVEL, "debug")
    assert applog.resolve_level() == logging.DEBUG
    assert applog.resolve_level("warning") == logging.WARNING
    monkeypatch.setenv(applog.ENV_LEVEL, "loud")
    with pytest.raises(applog.LogLevelError, match="FACTORY_LOG_LEVEL: 'loud' is not a log level"):
        applog.resolve_level()


def test_file_in_the_state_dir_at_its_level_and_rotated(tmp_path: Path) -> None:
    path = applog.setup(tmp_path, logging.WARNING)
    assert path == tmp_path / "logs" / "factory-tui.log"
    applog.logger("test").info("not at warning")
    applog.logger("test").warning("kept")
    text = path.read_text()
    assert "kept" in text and "not at warning" not in text
    applog.setup(tmp_path, logging.INFO)  # a second setup replaces the handler: each line once
    applog.logger("test").info("x" * 1000)
    assert path.read_text().count("x" * 1000) == 1
    for _ in range(applog.MAX_BYTES // 1000 + 10):
        applog.logger("test").info("y" * 1000)
    assert (tmp_path / "logs" / "factory-tui.log.1").is_file()


def _cli(state: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != applog.ENV_LEVEL}
    environ.update(FACTORY_STATE_DIR=str(state), **env)
    return subprocess.run([sys.executable, "-c", MAIN, *args], cwd=ROOT, env=environ, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=120)


def test_version_prints_the_log_path(tmp_path: Path) -> None:
    done = _cli(tmp_path / "state", "--version")
    assert done.returncode == 0
    assert f"log: {tmp_path / 'state' / 'logs' / 'factory-tui.log'}" in done.stdout


def test_bad_level_is_one_line(tmp_path: Path) -> None:
    done = _cli(tmp_path / "state", "-i", str(tmp_path / "none.yml"), "hosts", FACTORY_LOG_LEVEL="chatty")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "factory-tui: FACTORY_LOG_LEVEL: 'chatty' is not a log level (one of debug, info, warning, error)"
    ]


CRASH = (
    "import sys; import tui.cli.hosts as h\n"
    "def boom(args, ctx): raise RuntimeError('the inventory plugin broke')\n"
    "h.run = boom\n"
    "from tui.cli import main; sys.exit(main(sys.argv[1:]))"
)


def test_unexpected_error_traceback_in_the_file_only(tmp_path: Path) -> None:
    """A command that breaks (here one replaced by a function that raises) prints one line naming the
    log; the traceback is in the log and not on the terminal."""
    state = tmp_path / "state"
    environ = dict(os.environ, FACTORY_STATE_DIR=str(state))
    done = subprocess.run([sys.executable, "-c", CRASH, "-i", str(tmp_path / "none.yml"), "hosts"], cwd=ROOT,
                          env=environ, capture_output=True, text=True, timeout=120)
    log = state / "logs" / "factory-tui.log"
    assert done.returncode == 1
    assert done.stderr.strip() == f"factory-tui: unexpected error: the inventory plugin broke (details in {log})"
    assert "Traceback" not in done.stdout + done.stderr
    text = log.read_text()
    assert "Traceback (most recent call last)" in text and "RuntimeError: the inventory plugin broke" in text
