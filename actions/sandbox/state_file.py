"""A lab's small JSON state file (pids, slot, account): read forgivingly, written atomically."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read_state(path: Path) -> dict[str, Any]:
    """The recorded state, or ``{}`` when the file is missing or unreadable (a lab never started)."""
    try:
        data = json.loads(path.read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def write_state(path: Path, data: dict[str, Any]) -> None:
    """Replace the state in one rename, so a crash never leaves half a file."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2))
    tmp.replace(path)
