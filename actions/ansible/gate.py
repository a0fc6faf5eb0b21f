"""The gate request of a playbook run: the exact command, the hosts it touches, tags and the last dry run."""

from __future__ import annotations

import json
import re
import shutil
import sys
import time
from pathlib import Path

from actions.ansible.catalog import Playbook
from actions.ansible.models import RunSpec
from actions.gates import GateRequest, Level
from actions.journal import Journal, RunRecord


class AnsibleNotFound(Exception):
    """No ``ansible-playbook`` beside this Python nor on PATH."""


def ansible_playbook_binary() -> str:
    """``ansible-playbook`` of this environment first (a venv need not be activated), then PATH."""
    beside = Path(sys.executable).parent / "ansible-playbook"
    if beside.is_file():
        return str(beside)
    found = shutil.which("ansible-playbook")
    if not found:
        raise AnsibleNotFound("ansible-playbook not found (install ansible-core, or put it on PATH)")
    return found


# What ansible-playbook's key=value reading of -e keeps as it is: no space, quote or backslash.
_PLAIN_VALUE = re.compile(r"[^\s'\"\\]*")


def extra_var_word(key: str, value: str) -> str:
    """The ``-e`` word that ansible-playbook reads back as exactly ``key`` = ``value``: ``key=value`` when the
    value is plain, else JSON (its key=value reading would split a value at spaces and eat quotes)."""
    return f"{key}={value}" if _PLAIN_VALUE.fullmatch(value) else json.dumps({key: value})


def command_line(spec: RunSpec, playbook: Playbook, binary: str = "ansible-playbook") -> tuple[str, ...]:
    """The argv the run executes, exactly: shown to the operator and handed to ansible-runner."""
    argv = [binary, "-i", str(spec.inventory)]
    if spec.limit:
        argv += ["--limit", spec.limit]
    if spec.tags:
        argv += ["--tags", ",".join(spec.tags)]
    for key, value in spec.extra_vars:
        argv += ["-e", extra_var_word(key, value)]
    if spec.forks:
        argv += ["--forks", str(spec.forks)]
    if spec.check:
        argv.append("--check")
    if spec.diff:
        argv.append("--diff")
    if spec.become_password is not None:
        argv.append("--ask-become-pass")
    argv.append(str(playbook.path))
    return tuple(argv)


def describe_check(last: RunRecord | None) -> tuple[str, bool]:
    """The "last check" line and whether a dry run first is the safer default."""
    if last is None:
        return "last check: never checked", True
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(last.started_at))
    changed = {h: c.get("changed", 0) for h, c in last.recap.items() if c.get("changed")}
    bits = f"; would change: {', '.join(f'{h} ({n})' for h, n in changed.items())}" if changed else ""
    line = f"last check: {last.status} on {when} by {last.operator} (run {last.id}){bits}"
    return line, last.status != "ok"


def build_request(
    spec: RunSpec, playbook: Playbook, hosts: list[str], journal: Journal | None, binary: str
) -> GateRequest:
    """Check runs are read-only; real runs are a change, or destructive for recover/ and catalog-marked."""
    command = command_line(spec, playbook, binary)
    if spec.check:
        return GateRequest(
            kind="ansible.check", level=Level.READ_ONLY, title=f"check-mode run of {playbook.name}",
            command=command, targets=tuple(hosts), tags=spec.tags,
        )
    last = journal.last_check(str(playbook.path), spec.limit) if journal else None
    check_line, suggest = describe_check(last)
    level = Level.DESTRUCTIVE if playbook.destructive else Level.CHANGE
    details = [check_line]
    if playbook.destructive:
        details.insert(0, f"{playbook.name} is destructive: it can erase or replace data on the hosts")
    return GateRequest(
        kind="ansible.run",
        level=level,
        title=f"run {playbook.title} for real on {len(hosts)} host(s)",
        command=command,
        targets=tuple(hosts),
        tags=spec.tags,
        details=tuple(details),
        confirm_name=playbook.confirm_name if playbook.destructive else None,
        suggest_check_first=suggest,
    )
