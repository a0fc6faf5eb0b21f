"""Run one playbook through ansible-runner: gate, host locks, journal, live events, cancel, artifacts.

Every run gets a private data dir ``<state_dir>/runs/<run_id>/`` whose ``artifacts/`` are kept: ``stdout``
(Ansible's coloured text with our JSON event lines, the source of replays), ``rc``, ``status`` and
``command`` (with secret-looking environment values redacted). Passwords never touch the disk: the
become password answers Ansible's prompt through the pty (ansible-runner ``passwords``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from actions import gates
from actions.ansible.catalog import Playbook, PlaybookError, resolve_playbook
from actions.ansible.events import split_line, strip_ansi, warning_event
from actions.ansible.gate import AnsibleNotFound, ansible_playbook_binary, build_request
from actions.ansible.models import HostRecap, RunEvent, RunResult, RunSpec, RunStatus
from actions.applog import logger
from actions.procs import kill_tree
from actions.config import Settings
from actions.journal import Journal, RunRecord
from actions.lab import InventoryError, Lab, load_lab
from actions.locks import host_locks

_log = logger("runs")

CALLBACK_DIR = Path(__file__).resolve().parent / "plugins" / "callback"


def _runner_callback_dir() -> Path:
    """Where ansible-runner keeps its own display callback (found without importing ansible_runner)."""
    spec = importlib.util.find_spec("ansible_runner")
    origin = spec.origin if spec is not None and spec.origin else "."
    return (Path(origin).parent / "display_callback" / "callback").resolve()


RUNNER_CALLBACK_DIR = _runner_callback_dir()
_LINES = re.compile(r"\r?\n")
# How often the run's loop wakes up without output: the cancel check and ``on_tick`` (output flushes, so
# the last lines before a quiet spell show within this).
TICK = 0.1
# Matched (and answered with nothing) once per chunk read from the pty: pexpect keeps everything read since
# its last match and copies it on every timeout, which made a long run's reads quadratic.
_ANY_LINE = re.compile(r"\n")
# After a little output the loop naps this long before it reads again, so that it takes several lines per
# wake-up: each wake-up of ansible-runner's loop (pexpect's expect, a poll, a waitpid) cost as much as the
# lines it brought, and reading several at once halved the adapter's CPU. A burst (BURST characters or
# more) is read on at once, so the pty's buffer never fills and holds Ansible back.
NAP = 0.02
BURST = 1000
_SECRET_NAME = re.compile(r"TOKEN|PASSW|SECRET|PRIVATE|CREDENTIAL|API_?KEY|UNSEAL", re.I)

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
    """The state of one running playbook, fed by ansible-runner's callbacks (all on the run's thread)."""

    def __init__(self, on_event: EventCallback | None, on_line: LineCallback | None,
                 cancel: threading.Event, on_tick: Callable[[], None] | None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.on_event = on_event
        self.on_line = on_line
        self.cancel = cancel
        self.on_tick = on_tick
        self.tally = _Tally()
        self.recap: dict[str, HostRecap] | None = None
        self.playbook_pid: int | None = None
        self.events = 0
        self.errors: list[str] = []
        self.killed = False
        self.artifact_dir: Path | None = None
        self._last_tick = 0.0
        self._sleep = sleep
        self._read = 0  # characters of output since the loop last woke up

    def handle(self, data: dict[str, Any]) -> None:
        chunk = data.get("stdout")
        if chunk is not None:  # blank lines too: the pane shows what a terminal would
            self._read += len(chunk) + 1
            # ansible-runner hands over what it read from the pty: usually one line, sometimes several.
            for line in _LINES.split(chunk):
                self._line(line)

    def _line(self, line: str) -> None:
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
            if event.kind == "playbook_start":
                self.playbook_pid = event.pid
            elif event.kind == "stats":
                self.recap = event.recap
            self.tally.add(event)
            if self.on_event:
                self.on_event(event)

    def check_cancel(self) -> bool:
        # Called after every chunk read (see _ANY_LINE) and at least every TICK: tick at that pace only.
        if 0 < self._read < BURST:
            self._sleep(NAP)
        self._read = 0
        now = time.monotonic()
        if self.on_tick and now - self._last_tick >= TICK:
            self._last_tick = now
            self.on_tick()
        if not self.cancel.is_set():
            return False
        if not self.killed and self.playbook_pid:
            kill_tree(self.playbook_pid)
        self.killed = True
        return True

    def status(self, data: dict[str, Any], runner_config: Any = None) -> None:
        # The command file has just been written with the whole environment: redact it before anything
        # else can read it (the child's own environment keeps the real values).
        if data.get("status") == "running" and self.artifact_dir is not None:
            _redact_command_file(self.artifact_dir / "command")


def _redact_command_file(path: Path) -> None:
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    env = doc.get("env") or {}
    doc["env"] = {k: ("<redacted>" if _SECRET_NAME.search(k) else v) for k, v in env.items()}
    path.write_text(json.dumps(doc))


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
    import ansible_runner

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
    session = _Session(on_event, on_line, cancel, on_tick)
    session.artifact_dir = artifact_dir
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
        runner = ansible_runner.interface.init_runner(
            private_data_dir=str(run_dir),
            project_dir=str(project) if project.is_dir() else None,
            artifact_dir=str(artifact_dir.parent),
            ident="artifacts",
            binary=prepared.binary,
            cmdline=" ".join(_quote(a) for a in prepared.request.command[1:]),
            passwords=passwords,
            quiet=True,
            suppress_env_files=True,
            rotate_artifacts=0,
            status_handler=session.status,
            cancel_callback=session.check_cancel,
        )
        # For every line it reads, ansible-runner looks for a partial-event file that only its own
        # callback writes (a failed open and a formatted error each time). Ours carries the events in the
        # stream, so lines go straight to the session: a third of the adapter's CPU on a long run.
        def on_output(event_data: dict[str, Any]) -> None:
            runner.last_stdout_update = time.time()
            session.handle(event_data)

        runner.event_callback = on_output
        # Set on the config: ansible-runner drops a ``settings=`` argument when the data dir has no
        # env/settings file, which left the loop's timeout at 5 s (late cancels, output held back).
        runner.config.pexpect_timeout = TICK
        runner.config.pexpect_use_poll = True
        runner.config.expect_passwords[_ANY_LINE] = None
        env = runner.config.env
        env.pop("ORIGINAL_STDOUT_CALLBACK", None)
        env.pop("ANSIBLE_NOCOLOR", None)
        env.update(_env(settings, run_dir))
        env.update({name: value.get_secret_value() for name, value in spec.secret_env})
        # Without ansible-runner's callback directory: Ansible imports every plugin it finds there, and
        # importing awx_display hooks Ansible's display to write a partial JSON file for every event.
        theirs = [p for p in env.get("ANSIBLE_CALLBACK_PLUGINS", "").split(os.pathsep)
                  if p and Path(p).resolve() != RUNNER_CALLBACK_DIR]
        env["ANSIBLE_CALLBACK_PLUGINS"] = os.pathsep.join([str(CALLBACK_DIR), *theirs])
        Path(env["ANSIBLE_LOCAL_TEMP"]).mkdir(parents=True, exist_ok=True)
        status, rc = runner.run()
        result.rc = rc
        result.events = session.events
        result.recap = session.recap if session.recap is not None else session.tally.recap
        result.status, result.message = _outcome(status, rc, session)
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


def _quote(arg: str) -> str:
    import shlex

    return shlex.quote(arg)


def _outcome(status: str, rc: int | None, session: _Session) -> tuple[RunStatus, str]:
    if status == "canceled" or session.killed:
        return RunStatus.CANCELLED, "cancelled by the operator"
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
