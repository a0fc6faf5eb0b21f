"""What the log file records, from the real commands against the sandbox: connections made and closed,
gate decisions (who, what, the outcome), runs started and ended; and the level that filters them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
HELLO = str(ROOT / "tests" / "data" / "playbooks" / "hello.yml")
MAIN = "import sys; from tui.cli import main; sys.exit(main(sys.argv[1:]))"


def _cli(state: Path, inventory: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "FACTORY_LOG_LEVEL"}
    environ.update(FACTORY_STATE_DIR=str(state), USER="ada", **env)
    return subprocess.run([sys.executable, "-c", MAIN, "-i", str(inventory), *args], cwd=ROOT, env=environ,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=600)


def test_connections_gates_and_runs_are_logged(sandbox: Any, tmp_path: Path) -> None:
    state, inv = tmp_path / "state", sandbox.inventory
    log = state / "logs" / "factory-tui.log"

    assert _cli(state, inv, "health", "--once").returncode in (0, 1, 2)
    text = log.read_text()
    for name in ("pi1", "pi2", "pi3"):
        assert f"INFO    factory.health: connected: {name} (" in text
        assert f"factory.health: disconnected: {name} (closed)" in text

    wrong = _cli(state, inv, "run", HELLO, "--limit", "pi1", "--confirm", "site")
    assert wrong.returncode == 1
    real = _cli(state, inv, "run", HELLO, "--limit", "pi1", "--confirm", "hello")
    assert real.returncode == 0, real.stderr
    lines = log.read_text().splitlines()
    refused = [ln for ln in lines if "factory.gates: gate refused: ansible.run [change]" in ln]
    assert refused and all(" by ada: " in ln for ln in refused)
    assert any("factory.gates: gate confirmed: ansible.run [change]" in ln and ln.endswith("by ada") for ln in lines)
    assert any("factory.gates: permit used: ansible.run" in ln and "on pi1" in ln for ln in lines)
    started = [ln for ln in lines if "factory.runs: run " in ln and " started: hello [REAL] on pi1 by ada" in ln]
    assert len(started) == 1
    run_id = started[0].split("factory.runs: run ", 1)[1].split()[0]
    assert any(f"factory.runs: run {run_id} ended: ok (rc 0)" in ln for ln in lines)

    before = log.read_text()
    assert _cli(state, inv, "health", "--once", FACTORY_LOG_LEVEL="warning").returncode in (0, 1, 2)
    assert _cli(state, inv, "--log-level", "error", "health", "--once").returncode in (0, 1, 2)
    assert log.read_text() == before  # nothing at INFO was written at WARNING or ERROR
    assert _cli(state, inv, "--log-level", "debug", "health", "--once").returncode in (0, 1, 2)
    assert log.read_text().count("factory.health: connected: pi1") == 2
