"""Turn the run's output stream into typed events and plain lines (pure; used live and for replay)."""

from __future__ import annotations

import json
import re
from typing import Any

from actions.ansible.models import HostRecap, RunEvent

MARKER = "\x02@factory-event "
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_WARNING = re.compile(r"^\[(WARNING|DEPRECATION WARNING)\]:\s*(.*)")


def strip_ansi(text: str) -> str:
    """``text`` without its terminal colour codes."""
    return _ANSI.sub("", text)


def _message(data: dict[str, Any]) -> str:
    for key in ("msg", "reason", "stderr", "module_stderr", "stdout", "module_stdout"):
        value = data.get(key)
        if value:
            return str(value)
    return ""


def parse_event(payload: str) -> RunEvent | None:
    """One JSON event line (without the marker) as a :class:`RunEvent`; ``None`` if it is not one."""
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(data, dict) or "e" not in data:
        return None
    recap = None
    if data["e"] == "stats":
        recap = {host: HostRecap(**counts) for host, counts in (data.get("recap") or {}).items()}
    return RunEvent(
        kind=str(data["e"]),
        time=float(data.get("t") or 0.0),
        host=data.get("host"),
        task=data.get("task"),
        task_id=data.get("uuid"),
        role=data.get("role"),
        play=data.get("play"),
        item=data.get("item"),
        changed=bool(data.get("changed")),
        duration=data.get("dur"),
        message=_message(data),
        diff=data.get("diff"),
        warnings=[str(w) for w in data.get("warnings") or []],
        recap=recap,
        pid=data.get("pid"),
    )


def split_line(line: str) -> tuple[str | None, RunEvent | None]:
    """A raw output line becomes (display text, None) or (None, event). Line ends are removed."""
    line = line.rstrip("\r\n")
    at = line.find(MARKER)
    if at < 0:
        return line, None
    event = parse_event(line[at + len(MARKER):])
    before = line[:at]
    return (before if before.strip() else None), event


def warning_event(text: str) -> RunEvent | None:
    """Ansible prints warnings that belong to no result as plain lines; lift them into events."""
    match = _WARNING.match(strip_ansi(text).strip())
    if not match:
        return None
    return RunEvent(kind="warning", message=match.group(2))
