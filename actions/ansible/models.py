"""Typed values of a playbook run: what to run, the events it streams, and how it ended."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class RunStatus(StrEnum):
    """Where a run stands, or how it ended. CANCELLING and REFUSED are never journalled."""

    RUNNING = "running"
    CANCELLING = "cancelling"  # live view only: cancel asked, the playbook not stopped yet
    REFUSED = "refused"  # live view only: it never started (no permit, or a host busy with another run)
    OK = "ok"  # every host ok (changed or not)
    FAILED = "failed"  # at least one host failed or was unreachable
    CANCELLED = "cancelled"
    ERROR = "error"  # the run could not start or Ansible refused it (syntax, inventory, no binary)
    INTERRUPTED = "interrupted"  # journal only: the app stopped before the run ended

    @property
    def exit_code(self) -> int:
        """The CLI's exit code for a run that ended so."""
        return {"ok": 0, "failed": 2, "cancelled": 130}.get(self.value, 1)

    @property
    def ongoing(self) -> bool:
        """The run has not ended yet (it may be stopping)."""
        return self in (RunStatus.RUNNING, RunStatus.CANCELLING)


class RunSpec(BaseModel):
    """One playbook run as the operator asked for it."""

    model_config = ConfigDict(frozen=True)

    playbook: str = Field(description="A name from the catalog, a path under the playbook dir, or any path.")
    inventory: Path
    limit: str | None = None
    tags: tuple[str, ...] = ()
    extra_vars: tuple[tuple[str, str], ...] = Field(default=(), description="-e KEY=VALUE pairs, in order.")
    check: bool = False
    diff: bool = False
    forks: int | None = None
    become_password: SecretStr | None = Field(default=None, exclude=True, repr=False)
    secret_env: tuple[tuple[str, SecretStr], ...] = Field(
        default=(), exclude=True, repr=False,
        description="Environment for ansible-playbook that must stay off the command line and the disk.",
    )


class HostRecap(BaseModel):
    """Ansible's PLAY RECAP line for one host."""

    ok: int = 0
    changed: int = 0
    unreachable: int = 0
    failures: int = 0
    skipped: int = 0
    rescued: int = 0
    ignored: int = 0

    @property
    def bad(self) -> bool:
        """The host failed or was unreachable."""
        return self.failures > 0 or self.unreachable > 0


RECAP_FIELDS = ("ok", "changed", "unreachable", "failures", "skipped", "rescued", "ignored")


class RunEvent(BaseModel):
    """One thing that happened in a run. ``kind`` is one of:

    ``playbook_start``, ``play_start``, ``task_start``, ``ok``, ``failed``, ``skipped``, ``unreachable``,
    ``item_ok``, ``item_failed``, ``item_skipped``, ``ignored``, ``diff``, ``warning``, ``stats``.
    """

    kind: str
    time: float = 0.0
    host: str | None = None
    task: str | None = None
    task_id: str | None = None
    role: str | None = None
    play: str | None = None
    item: str | None = None
    changed: bool = False
    duration: float | None = None
    message: str = ""
    diff: str | None = None
    warnings: list[str] = Field(default_factory=list)
    recap: dict[str, HostRecap] | None = None
    pid: int | None = None

    @property
    def status(self) -> str:
        """ok / changed / failed / skipped / unreachable for result events, else the kind."""
        base = self.kind.removeprefix("item_")
        if base == "ok" and self.changed:
            return "changed"
        return base


class RunResult(BaseModel):
    """How a run ended."""

    run_id: str
    status: RunStatus
    rc: int | None = None
    message: str = ""
    recap: dict[str, HostRecap] = Field(default_factory=dict)
    artifacts: Path | None = None
    events: int = 0
    started_at: float = 0.0
    finished_at: float = 0.0

    @property
    def exit_code(self) -> int:
        """The process exit status the CLI gives for this run."""
        return self.status.exit_code
