"""Run one playbook through ansible-runner: gate, host locks, journal, live events, cancel, artifacts.

The permit, the host locks and the journal are taken here, in the app, before anything starts; then
ansible-runner runs in a child process (:mod:`actions.ansible.worker`, started and stopped by
:mod:`actions.ansible.spawn`) whose output lines come back over a pipe and are parsed here into events,
on the calling thread. The child has its own interpreter: reading the pty and writing artifacts never
competes with the UI for its interpreter lock.

Every run gets a private data dir ``<state_dir>/runs/<run_id>/`` whose ``artifacts/`` are kept: ``stdout``
(Ansible's coloured text with our JSON event lines, the source of replays), ``rc``, ``status`` and
``command`` (with secret-looking environment values redacted). Passwords never touch the disk: they reach
the child over its stdin, and the become password answers Ansible's prompt through the pty
(ansible-runner ``passwords``).
"""

from __future__ import annotations

import os
import shlex
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from actions import gates
from actions.ansible.catalog import Playbook, PlaybookError, resolve_playbook
from actions.ansible.events import split_line, strip_ansi, warning_event
from actions.ansible.gate import AnsibleNotFound, ansible_playbook_binary, build_request
from actions.ansible.models import HostRecap, RunEvent, RunResult, RunSpec, RunStatus
from actions.ansible.spawn import WorkerEnd, run_worker
from actions.applog import logger
from actions.config import Settings
from actions.journal import Journal, RunRecord
from actions.lab import InventoryError, Lab, load_lab
from actions.locks import host_locks

_log = logger("runs")

EventCallback = Callable[[RunEvent], None]
LineCallback = Callable[[str], None]


class RunRefused(Exception):
    """The run did not start: no permit for it, or a host is busy with another run."""


class PreparedRun:
    """Everything decided before a run starts; the TUI and CLI show :attr:`request` to the operator."""

    def __init__(self, spec: RunSpec, settings: Settings, journal: Journal | None, lab: Lab | None = None):
        # ansible-playbook runs in the collection's directory (for its ansible.cfg): paths must be absolute.
        spec = spec.model_copy(update={"inventory": spec.inventory.expanduser().resolve()})
        self.spec = spec
        self.settings = settings
        self.journal = journal
        self.binary = ansible_playbook_binary()
        self.playbook: Playbook = resolve_playbook(spec.playbook, settings.ansible.playbook_dir).for_vars(
            dict(spec.extra_vars)
        )
        self.lab = lab if lab is not None else load_lab(spec.inventory)
        self.hosts = self.lab.resolve_limit(spec.limit)
        if not self.hosts:
            raise InventoryError(f"--limit {spec.limit!r} matches no host of {spec.inventory}")
        self.request = build_request(spec, self.playbook, self.hosts, journal, self.binary)


def prepare(spec: RunSpec, settings: Settings, journal: Journal | None, lab: Lab | None = None) -> PreparedRun:
    """Resolve the playbook, the hosts and the gate request; raises PlaybookError, InventoryError,
    AnsibleNotFound with a readable message."""
    return PreparedRun(spec, settings, journal, lab)


def _recap_dict(recap: dict[str, HostRecap]) -> dict[str, dict[str, int]]:
    return {host: r.model_dump() for host, r in recap.items()}


class _Tally:
    """A recap built from results as they come, for runs that end without Ansible's own (a cancel)."""

    def __init__(self) -> None:
        self.recap: dict[str, HostRecap] = {}

    def add(self, ev: RunEvent) -> None:
        if ev.host is None or ev.kind not in ("ok", "failed", "skipped", "unreachable", "ignored"):
            return
        r = self.recap.setdefault(ev.host, HostRecap())
        if ev.kind == "ok":
            r.ok += 1
            r.changed += int(ev.changed)
        elif ev.kind == "failed":
            r.failures += 1
        elif ev.kind == "skipped":
            r.skipped += 1
        elif ev.kind == "unreachable":
            r.unreachable += 1
        elif ev.kind == "ignored":
            r.failures -= 1
            r.ignored += 1


class _Session:
    """The state of one running playbook, fed line by line from the child's output (on the run's thread)."""

    def __init__(self, on_event: EventCallback | None, on_line: LineCallback | None) -> None:
        self.on_event = on_event
        self.on_line = on_line
        self.tally = _Tally()
        self.recap: dict[str, HostRecap] | None = None
        self.events = 0
        self.errors: list[str] = []

    def line(self, line: str) -> None:
        """One line of the playbook's output: its text to ``on_line``, its event (if any) to ``on_event``."""
        text, event = split_line(line)
        if text is not None:
            plain = strip_ansi(text).strip()
            # Keep Ansible's error line and the few lines that explain it, for the run's message.
            is_error = plain.startswith(("ERROR!", "[ERROR]"))
            if (is_error or (self.errors and plain and not plain.startswith("["))) and len(self.errors) < 20:
                self.errors.append(plain)
            if self.on_line:
                self.on_line(text)
            warn = warning_event(text)
            if warn is not None and event is None:
                event = warn
        if event is not None:
            self.events += 1
            if event.kind == "stats":
                self.recap = event.recap
            self.tally.add(event)
            if self.on_event:
                self.on_event(event)


def _env(settings: Settings, run_dir: Path) -> dict[str, str]:
    home = settings.state_dir / "ansible-home"
    extra: dict[str, str] = {}
    cfg = settings.ansible.playbook_dir / "ansible.cfg"
    if cfg.is_file():
        # Named explicitly: Ansible skips an ansible.cfg found in a world-writable working directory.
        extra["ANSIBLE_CONFIG"] = str(cfg)
    return extra | {
        "ANSIBLE_STDOUT_CALLBACK": "factory_events",
        "ANSIBLE_HOME": str(home),
        "ANSIBLE_LOCAL_TEMP": str(home / "tmp"),
        "ANSIBLE_FORCE_COLOR": "1",
        # Unknown host keys are never accepted silently (ansible-runner would turn checking off).
        "ANSIBLE_HOST_KEY_CHECKING": "True",
        # One ssh connection per command and a remote tty: killing our ssh client hangs the remote
        # command up, so a cancel stops it on the host too (a ControlPersist master would keep it alive).
        "ANSIBLE_SSH_ARGS": "-o ControlMaster=no -o ControlPersist=no",
        "ANSIBLE_PIPELINING": "False",
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        "PYTHONUNBUFFERED": "1",
    }


def new_run_id() -> str:
    """A new run's id: its start time and six random hex digits."""
    return time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]


def run_prepared(
    prepared: PreparedRun,
    *,
    permit: gates.Permit | None = None,
    on_event: EventCallback | None = None,
    on_line: LineCallback | None = None,
    on_tick: Callable[[], None] | None = None,
    cancel: threading.Event | None = None,
    operator: str | None = None,
    run_id: str | None = None,
) -> RunResult:
    """Carry out a prepared run on the calling thread. Real runs need ``permit`` for ``prepared.request``.

    ``on_tick`` is called about ten times a second while the playbook runs (to flush batched output).
    Raises :class:`RunRefused` (no permit, host busy) before anything starts.
    """
    spec, settings = prepared.spec, prepared.settings
    try:
        gates.require(permit, prepared.request)
    except gates.GateRefused as exc:
        raise RunRefused(str(exc)) from None
    run_id = run_id or new_run_id()
    who = operator or (permit.operator if permit else settings.operator)
    locks = host_locks(settings.state_dir, prepared.hosts, f"run {run_id} of {prepared.playbook.name} by {who}")
    try:
        locks.acquire()
    except Exception as exc:  # LockBusy
        raise RunRefused(f"a host is busy with another run: {exc}") from None
    run_dir = settings.state_dir / "runs" / run_id
    artifact_dir = run_dir / "artifacts"
    cancel = cancel or threading.Event()
    session = _Session(on_event, on_line)
    started = time.time()
    journal = prepared.journal
    if journal is not None:
        journal.start_run(RunRecord(
            id=run_id, playbook=prepared.playbook.name, playbook_path=str(prepared.playbook.path),
            inventory=str(spec.inventory), lab=prepared.lab.name, limit=spec.limit or None,
            tags=list(spec.tags), hosts=prepared.hosts, check=spec.check,
            command=prepared.request.command_line(), operator=who, started_at=started,
            status=RunStatus.RUNNING.value, artifacts=str(artifact_dir),
        ))
    result = RunResult(run_id=run_id, status=RunStatus.ERROR, artifacts=artifact_dir, started_at=started)
    _log.info("run %s started: %s [%s] on %s by %s", run_id, prepared.playbook.name,
              "check" if spec.check else "REAL", ", ".join(prepared.hosts) or "no host", who)
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        passwords = {}
        if spec.become_password is not None:
            passwords[r"BECOME password[^:]*:\s*$"] = spec.become_password.get_secret_value()
        project = settings.ansible.playbook_dir
        job = {
            "cwd": os.getcwd(),
            "private_data_dir": str(run_dir),
            "project_dir": str(project) if project.is_dir() else None,
            "artifact_dir": str(artifact_dir.parent),
            "binary": prepared.binary,
            "cmdline": " ".join(shlex.quote(a) for a in prepared.request.command[1:]),
            "passwords": passwords,
            "env": _env(settings, run_dir) | {name: value.get_secret_value() for name, value in spec.secret_env},
        }
        end = run_worker(job, session.line, cancel, on_tick)
        result.rc = end.rc
        result.events = session.events
        result.recap = session.recap if session.recap is not None else session.tally.recap
        result.status, result.message = _outcome(end, session)
    except Exception as exc:
        _log.exception("run %s could not start", run_id)
        result.status, result.message = RunStatus.ERROR, f"the run could not start: {exc}"
    finally:
        locks.release()
        result.finished_at = time.time()
        _log.info("run %s ended: %s (rc %s) after %.0f s%s", run_id, result.status.value, result.rc,
                  result.finished_at - started, f": {result.message}" if result.message else "")
        if journal is not None:
            journal.finish_run(run_id, status=result.status.value, rc=result.rc, message=result.message,
                               recap=_recap_dict(result.recap), finished_at=result.finished_at)
    return result


def _outcome(end: WorkerEnd, session: _Session) -> tuple[RunStatus, str]:
    if end.status == "canceled" or end.cancelled:
        return RunStatus.CANCELLED, "cancelled by the operator"
    if end.error:
        return RunStatus.ERROR, end.error
    rc = end.rc
    recap = session.recap
    if recap is not None:
        bad = sorted(h for h, r in recap.items() if r.bad)
        if bad or rc in (2, 4):
            unreachable = sorted(h for h, r in recap.items() if r.unreachable)
            failed = sorted(h for h, r in recap.items() if r.failures)
            parts = ([f"failed: {', '.join(failed)}"] if failed else []) + (
                [f"unreachable: {', '.join(unreachable)}"] if unreachable else [])
            return RunStatus.FAILED, "; ".join(parts) or f"ansible-playbook exited with {rc}"
        if rc == 0:
            return RunStatus.OK, ""
    if rc in (2, 4) and session.tally.recap:
        return RunStatus.FAILED, f"ansible-playbook exited with {rc}"
    first = session.errors[0] if session.errors else f"ansible-playbook exited with {rc}"
    detail = " ".join(session.errors[:4]) if session.errors else first
    return RunStatus.ERROR, detail[:2000]


def run_playbook(
    spec: RunSpec,
    settings: Settings,
    *,
    journal: Journal | None = None,
    permit: gates.Permit | None = None,
    on_event: EventCallback | None = None,
    on_line: LineCallback | None = None,
    cancel: threading.Event | None = None,
    operator: str | None = None,
) -> RunResult:
    """Prepare then run; a bad playbook, inventory or missing ansible is journalled as an ``error`` run."""
    try:
        prepared = prepare(spec, settings, journal)
    except (PlaybookError, InventoryError, AnsibleNotFound) as exc:
        return record_error(spec, settings, journal, str(exc), operator)
    return run_prepared(prepared, permit=permit, on_event=on_event, on_line=on_line, cancel=cancel,
                        operator=operator)


def record_error(spec: RunSpec, settings: Settings, journal: Journal | None, message: str,
                 operator: str | None = None) -> RunResult:
    """Journal a run that could not even be prepared, so the history keeps it."""
    run_id = new_run_id()
    now = time.time()
    if journal is not None:
        journal.start_run(RunRecord(
            id=run_id, playbook=Path(spec.playbook).stem, playbook_path=spec.playbook,
            inventory=str(spec.inventory), limit=spec.limit or None, tags=list(spec.tags), check=spec.check,
            operator=operator or settings.operator, started_at=now, status=RunStatus.ERROR.value,
            message=message, finished_at=now,
        ))
    return RunResult(run_id=run_id, status=RunStatus.ERROR, message=message, started_at=now, finished_at=now)
