"""What the first frame imports: the app and its first screen, and none of the libraries that cost a second
or more to load (Ansible, ansible-runner, hvac, asyncssh, psutil) nor the journal and the known-good store.
Nor does it load pydantic or the settings' and lab's models: the command line's app paints before it reads
them (tui.boot). Each of those is loaded when first needed, after the first frame; this test keeps a new
top-level import from pulling one of them back onto the start-up path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST_FRAME = ["tui.cli", "tui.launch", "tui.boot", "tui.app"]
LATER = {
    "ansible", "ansible_runner", "hvac", "asyncssh", "psutil", "requests", "psycopg",
    "actions.journal", "actions.health.known_good", "actions.runbooks", "actions.tofu", "actions.vault",
    "pydantic", "actions.config", "actions.lab", "actions.health.models", "tui.screens.health",
}


def test_the_first_frame_loads_none_of_the_slow_libraries() -> None:
    code = (
        "import importlib, json, sys\n"
        f"for m in {FIRST_FRAME!r}: importlib.import_module(m)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    loaded = set(json.loads(proc.stdout))
    early = sorted(m for m in loaded if m in LATER or m.split(".")[0] in LATER)
    assert early == [], f"loaded before the first frame: {early}"
    # The frame itself needs Textual and the app: the list above is not vacuous.
    assert {"textual.app", "tui.app", "tui.boot"} <= loaded


def test_the_poll_process_starts_before_pydantic_is_loaded() -> None:
    """The command line starts the app's poll process as soon as it has parsed the line; what it has
    loaded by then is small, so the child's imports and the app's settings run side by side. The real
    ``main`` runs; its call to ``prewarm`` reports what is loaded at that moment and ends the process."""
    code = (
        "import json, os, sys, types\n"
        "from actions.health import poll_spawn\n"
        "def report():\n"
        "    print(json.dumps(sorted(sys.modules)), flush=True)\n"
        "    os._exit(0)\n"
        "poll_spawn.prewarm = report\n"
        "launch = types.ModuleType('tui.launch')\n"  # had the app been reached, it would say so
        "launch.run_app = lambda *args: print('prewarm was never called', flush=True) or 0\n"
        "sys.modules['tui.launch'] = launch\n"
        "from tui.cli import main\n"
        "main([])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                          env=_isolated_env(), timeout=60)
    assert "prewarm was never called" not in proc.stdout, proc.stdout
    loaded = set(json.loads(proc.stdout))
    heavy = sorted(m for m in loaded
                   if m.split(".")[0] in {"pydantic", "textual", "rich", "asyncssh", "yaml", "asyncio", "ssl"})
    assert heavy == [], f"loaded before the poll process starts: {heavy}"
    # The line was parsed by then: the list above is not vacuous.
    assert "argparse" in loaded and "tui.cli.grammar" in loaded


def _isolated_env() -> dict[str, str]:
    """The environment without the operator's settings: none of them may change what is loaded."""
    return {k: v for k, v in os.environ.items() if not k.startswith("FACTORY_")}
