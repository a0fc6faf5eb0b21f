"""House rules the tools check: ruff on the Python tree, mypy --strict on the core and the front end."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_is_clean() -> None:
    # --no-cache: a stale cache once hid an error that a clean checkout then reported.
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "."], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_strict_on_actions_and_tui() -> None:
    # The front end too: an un-awaited coroutine (buttons that did nothing) is a type error there.
    proc = subprocess.run([sys.executable, "-m", "mypy", "--strict", "actions", "tui"], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
