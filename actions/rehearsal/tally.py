"""What two passes of the playbooks say about each role: converged, needs an artifact, failed, changes again.

Pure logic over the run events (:class:`actions.ansible.models.RunEvent`), so it is tested on events that
real runs wrote. A role's verdict, in order of precedence:

- **failed**: a task of the role failed (not ignored) or its host was unreachable, in either pass;
- **needs an artifact**: the role's ``Needs artifact`` task (role ``artifact``) said what is missing;
- **changes again**: the second pass still changed something (the role is not idempotent);
- **converged**: it ran in both passes and the second changed nothing;
- **not run**: a playbook names it but no task of it ran (an earlier failure, or no host matched).
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

from actions.ansible.models import RunEvent

ARTIFACT_TASK = "Needs artifact"
IMPLICIT_TASK = "Validating arguments against arg spec"
_ARTIFACT = re.compile(r"needs artifact for (?P<role>[\w.?-]+):\s*(?P<rest>.*)", re.S)
RESULT_KINDS = ("ok", "failed", "unreachable", "skipped")


class Verdict(StrEnum):
    """What a playbook's two runs say of one role."""
    CONVERGED = "converged"
    NEEDS_ARTIFACT = "needs an artifact"
    FAILED = "failed"
    CHANGES_AGAIN = "changes again"
    NOT_RUN = "not run"


class RoleRow(BaseModel):
    """One line of the converge table."""

    role: str
    playbooks: list[str]
    verdict: Verdict
    detail: str = ""
    hosts: list[str] = Field(default_factory=list)
    changed_first: int = 0
    changed_second: int = 0


class _Role:
    def __init__(self) -> None:
        self.ran: set[int] = set()
        self.changed = {1: 0, 2: 0}
        self.changed_tasks: list[str] = []
        self.failures: dict[tuple[str, str], str] = {}  # (host, task id) -> "task: message"
        self.failed_hosts: set[str] = set()
        self.artifacts: list[str] = []
        self.hosts: set[str] = set()


class Tally:
    """Feed it every event of every run (``add(pass_no, playbook, event)``), then ask for :meth:`rows`."""

    def __init__(self) -> None:
        self._roles: dict[str, _Role] = {}
        self._order: list[str] = []
        self._playbooks: dict[str, list[str]] = {}
        self._failed_ids: dict[tuple[str, str], str] = {}

    def _role(self, name: str, playbook: str) -> _Role:
        if name not in self._roles:
            self._roles[name] = _Role()
            self._order.append(name)
        books = self._playbooks.setdefault(name, [])
        if playbook not in books:
            books.append(playbook)
        return self._roles[name]

    def expect(self, playbook: str, roles: list[str]) -> None:
        """Roles a playbook names, so that one that never ran is listed as not run, in playbook order."""
        for name in roles:
            self._role(name, playbook)

    def add(self, pass_no: int, playbook: str, ev: RunEvent) -> None:
        """Take one event of pass ``pass_no`` (1 or 2) of ``playbook``."""
        if ev.kind == "ignored" and ev.host and ev.task_id:
            role = self._failed_ids.pop((ev.host, ev.task_id), None)
            if role:
                r = self._roles[role]
                r.failures.pop((ev.host, ev.task_id), None)
                r.failed_hosts = {h for h, _ in r.failures}
            return
        if ev.kind not in RESULT_KINDS or ev.host is None:
            return
        name = ev.role or f"playbook {playbook}"
        # Ansible names a role's task "role : task".
        if name == "artifact" and (ev.task or "").split(" : ")[-1] == ARTIFACT_TASK and ev.kind == "ok":
            match = _ARTIFACT.match(ev.message.strip())
            owner = match.group("role") if match else "artifact"
            r = self._role(owner, playbook)
            text = match.group("rest").strip() if match else ev.message.strip()
            if text not in r.artifacts:
                r.artifacts.append(text)
            r.ran.add(pass_no)
            r.hosts.add(ev.host)
            return
        if name == "artifact":  # the check itself is no role to judge; its verdict is its caller's
            return
        if (ev.task or "").split(" : ")[-1].startswith(IMPLICIT_TASK):
            return  # Ansible validates a role's arguments even in a play skipped by its tags
        r = self._role(name, playbook)
        r.ran.add(pass_no)
        r.hosts.add(ev.host)
        if ev.kind in ("failed", "unreachable"):
            key = (ev.host, ev.task_id or ev.task or "?")
            what = "unreachable" if ev.kind == "unreachable" else (ev.task or "?")
            r.failures[key] = f"{what}: {_one_line(ev.message)}" if ev.message else what
            r.failed_hosts.add(ev.host)
            if ev.task_id:
                self._failed_ids[(ev.host, ev.task_id)] = name
        elif ev.kind == "ok" and ev.changed:
            r.changed[pass_no] = r.changed.get(pass_no, 0) + 1
            if pass_no == 2 and ev.task and f"{ev.task} ({ev.host})" not in r.changed_tasks:
                r.changed_tasks.append(f"{ev.task} ({ev.host})")

    def rows(self) -> list[RoleRow]:
        """The table, in the order the roles first appeared."""
        out = []
        for name in self._order:
            r = self._roles[name]
            verdict, detail = _verdict(r)
            hosts = sorted(r.failed_hosts) if verdict is Verdict.FAILED else sorted(r.hosts)
            out.append(RoleRow(role=name, playbooks=self._playbooks.get(name, []), verdict=verdict, detail=detail,
                               hosts=hosts, changed_first=r.changed.get(1, 0), changed_second=r.changed.get(2, 0)))
        return out


def _verdict(r: _Role) -> tuple[Verdict, str]:
    if r.failures:
        first = next(iter(r.failures.values()))
        more = len({v for v in r.failures.values()}) - 1
        return Verdict.FAILED, first + (f" (+{more} more)" if more > 0 else "")
    if r.artifacts:
        return Verdict.NEEDS_ARTIFACT, "; ".join(r.artifacts)
    if not r.ran:
        return Verdict.NOT_RUN, "no task of it ran (an earlier failure, or no host matched)"
    if r.changed.get(2, 0) > 0:
        shown = ", ".join(r.changed_tasks[:3]) + (" ..." if len(r.changed_tasks) > 3 else "")
        return Verdict.CHANGES_AGAIN, f"second run changed: {shown}"
    if 2 not in r.ran:
        return Verdict.NOT_RUN, "it ran in the first pass only"
    return Verdict.CONVERGED, f"second run: changed=0 ({r.changed.get(1, 0)} changes in the first)"


def _one_line(text: str, limit: int = 240) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def roles_of(playbook: Path) -> list[str]:
    """The roles a playbook names in its plays' ``roles:``, following ``import_playbook``, in order."""
    seen: list[str] = []
    try:
        plays = yaml.safe_load(playbook.read_text()) or []
    except (OSError, yaml.YAMLError):
        return seen
    for play in plays if isinstance(plays, list) else []:
        if not isinstance(play, dict):
            continue
        imported = play.get("ansible.builtin.import_playbook") or play.get("import_playbook")
        if isinstance(imported, str):
            for name in roles_of(playbook.parent / imported):
                if name not in seen:
                    seen.append(name)
        tags = play.get("tags") or []
        if "never" in (tags if isinstance(tags, list) else [tags]):
            continue  # runs only when asked for by tag, never in a converge
        for entry in play.get("roles") or []:
            role = entry.get("role") if isinstance(entry, dict) else entry
            if isinstance(role, str):
                short = role.rsplit(".", 1)[-1]
                if short not in seen:
                    seen.append(short)
    return seen
