"""Converge: the numbered playbooks, for real, twice, on the rehearsal lab, and a verdict per role.

`factory-tui rehearse` is what the operator runs before a playbook touches the Pis. It refuses any lab
but a rehearsal lab. One confirmation covers the whole converge (it lists every command it will run);
each run then gets its own single-use permit for exactly that command, issued here and nowhere else.

Secrets the playbooks would read from Vault are, in a rehearsal, throwaway values of this lab: the
rehearsal inventory reads each from an environment variable (``FACTORY_REHEARSAL_SECRET_<NAME>``), and they
are handed to ansible-playbook through its environment only, never on a command line or in the run's files.
Each is derived from a random seed kept with the lab's hosts (their disks hold what they were given anyway),
so every converge of one lab uses the same values: a role that templates one, or a repository that was
initialised with one, still converges the next time. A new lab gets a new seed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path

import yaml
from pydantic import BaseModel, SecretStr

from actions import gates
from actions.ansible.models import RunEvent, RunSpec, RunStatus
from actions.config import Settings
from actions.journal import Journal
from actions.lab import Lab
from actions.rehearsal.tally import RoleRow, Tally, Verdict, roles_of

DEFAULT_PLAYBOOKS = ("01_system", "02_setup", "03_cicd", "04_tools", "05_backup")
SECRET_ENV_PREFIX = "FACTORY_REHEARSAL_SECRET_"
VAULT_VARS = Path("playbooks") / "group_vars" / "all" / "vault.yml"

LineCallback = Callable[[str], None]


class ConvergeError(Exception):
    """The converge cannot start; one readable line."""


class PassRun(BaseModel):
    """One playbook run of one pass."""

    pass_no: int
    playbook: str
    run_id: str
    status: RunStatus
    message: str = ""
    seconds: float


class ConvergeReport(BaseModel):
    """The table and the runs behind it."""

    lab: str
    inventory: Path
    playbooks: list[str]
    runs: list[PassRun]
    rows: list[RoleRow]
    seconds: float
    cancelled: bool = False

    def count(self, verdict: Verdict) -> int:
        """How many roles got ``verdict``."""
        return sum(1 for r in self.rows if r.verdict is verdict)

    @property
    def ok(self) -> bool:
        """No role failed or changes again (roles waiting for an artifact are not failures)."""
        return not self.cancelled and not any(
            r.verdict in (Verdict.FAILED, Verdict.CHANGES_AGAIN) for r in self.rows
        )


def secret_names(playbook_dir: Path) -> list[str]:
    """The variables the playbooks read from Vault (``vault.yml`` entries that call a Vault lookup)."""
    try:
        doc = yaml.safe_load((playbook_dir / VAULT_VARS).read_text()) or {}
    except (OSError, yaml.YAMLError):
        return []
    return sorted(k for k, v in doc.items() if isinstance(v, str) and "lookup(" in v and "vault" in v)


def secret_host_vars(playbook_dir: Path) -> dict[str, str]:
    """Host variables for the rehearsal inventory: each Vault secret read from the converge's environment.

    Inventory host variables outrank the playbooks' ``group_vars/all``, so these replace the Vault lookups
    in the rehearsal lab only.
    """
    return {
        name: "{{ lookup('ansible.builtin.env', '" + SECRET_ENV_PREFIX + name.upper() + "') }}"
        for name in secret_names(playbook_dir)
    }


def lab_secret(settings: Settings, name: str) -> SecretStr:
    """The rehearsal lab's throwaway value for the Vault secret ``name`` (stable for the lab's life)."""
    seed_file = settings.rehearsal_dir / "secret.seed"
    # A rehearsal inventory can be named by path, before (or after) this state dir held a rehearsal lab.
    seed_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(seed_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        seed = seed_file.read_bytes()
    else:
        seed = secrets.token_bytes(32)
        with os.fdopen(fd, "wb") as out:
            out.write(seed)
    digest = hmac.new(seed, name.encode(), hashlib.sha256).digest()
    return SecretStr(base64.urlsafe_b64encode(digest[:24]).decode())


class ConvergePlan:
    """Everything decided before the converge starts; the CLI shows :attr:`request` to the operator."""

    def __init__(self, settings: Settings, lab: Lab, playbooks: list[str], journal: Journal | None) -> None:
        from actions.ansible.runner import prepare

        if lab.kind != "rehearsal":
            raise ConvergeError(
                f"rehearse runs only on a rehearsal lab: {lab.inventory} is the {lab.kind} lab '{lab.name}' "
                "(start one with `factory-tui sandbox up --rehearsal`, then use -i rehearsal)"
            )
        self.settings = settings
        self.lab = lab
        self.journal = journal
        self.playbooks = playbooks
        self.secret_env = tuple(
            (SECRET_ENV_PREFIX + name.upper(), lab_secret(settings, name))
            for name in secret_names(settings.ansible.playbook_dir)
        )
        self.specs = [
            RunSpec(playbook=name, inventory=lab.inventory, secret_env=self.secret_env) for name in playbooks
        ]
        # Prepared once to resolve each playbook and its exact command; a bad name fails here, before anything.
        first = [prepare(spec, settings, journal, lab) for spec in self.specs]
        self.paths = [p.playbook.path for p in first]
        hosts = sorted({h for p in first for h in p.hosts})
        self.request = gates.GateRequest(
            kind="rehearsal.converge",
            level=gates.Level.CHANGE,
            title=f"converge {', '.join(playbooks)} twice, for real, on the rehearsal lab '{lab.name}'",
            command=("factory-tui", "-i", str(lab.inventory), "rehearse", *playbooks),
            targets=tuple(hosts),
            details=(
                *(f"pass 1 and 2: {p.request.command_line()}" for p in first),
                "Vault secrets: the rehearsal lab's throwaway values, in the environment only",
            ),
            confirm_name=lab.name,
        )


def plan(settings: Settings, lab: Lab, playbooks: list[str] | None = None,
         journal: Journal | None = None) -> ConvergePlan:
    """Resolve the playbooks (default: 01..05) against a rehearsal lab. Raises :class:`ConvergeError`."""
    from actions.ansible.catalog import PlaybookError
    from actions.ansible.gate import AnsibleNotFound

    try:
        return ConvergePlan(settings, lab, list(playbooks or DEFAULT_PLAYBOOKS), journal)
    except (PlaybookError, AnsibleNotFound) as exc:
        raise ConvergeError(str(exc)) from None


def converge(
    plan: ConvergePlan,
    permit: gates.Permit | None,
    *,
    on_line: LineCallback | None = None,
    on_run: Callable[[PassRun], None] | None = None,
    cancel: threading.Event | None = None,
) -> ConvergeReport:
    """Run every playbook, then every playbook again; return the table. Needs the permit for ``plan.request``."""
    from actions.ansible.runner import RunRefused, prepare, run_prepared

    try:
        gates.require(permit, plan.request)
    except gates.GateRefused as exc:
        raise ConvergeError(str(exc)) from None
    assert permit is not None  # require() passed
    cancel = cancel or threading.Event()
    tally = Tally()
    for name, path in zip(plan.playbooks, plan.paths, strict=True):
        tally.expect(name, roles_of(path))
    runs: list[PassRun] = []
    t0 = time.monotonic()
    for pass_no in (1, 2):
        for name, spec in zip(plan.playbooks, plan.specs, strict=True):
            if cancel.is_set():
                break
            prepared = prepare(spec, plan.settings, plan.journal, plan.lab)
            # The operator confirmed the converge, which listed this exact command: one permit for it.
            run_permit = gates.issue(prepared.request, confirmed=True, typed_name=prepared.request.confirm_name,
                                     operator=permit.operator)

            def on_event(ev: RunEvent, _pass: int = pass_no, _name: str = name) -> None:
                tally.add(_pass, _name, ev)

            if on_line:
                on_line(f"== pass {pass_no}: {name}")
            started = time.monotonic()
            try:
                result = run_prepared(prepared, permit=run_permit, on_event=on_event, on_line=on_line,
                                      cancel=cancel, operator=permit.operator)
            except RunRefused as exc:
                raise ConvergeError(str(exc)) from None
            run = PassRun(pass_no=pass_no, playbook=name, run_id=result.run_id, status=result.status,
                          message=result.message, seconds=round(time.monotonic() - started, 1))
            runs.append(run)
            if on_run:
                on_run(run)
    return ConvergeReport(
        lab=plan.lab.name, inventory=plan.lab.inventory, playbooks=plan.playbooks, runs=runs, rows=tally.rows(),
        seconds=round(time.monotonic() - t0, 1), cancelled=cancel.is_set(),
    )
