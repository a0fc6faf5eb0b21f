"""Runbooks as data: the pydantic model of a checklist and its loader.

A runbook is a YAML file in this directory. Each step has an id, a title, a guidebook page, ``requires``
(earlier steps and live predicates), exactly one action, and ``verify`` predicates that prove it done.
A broken file is rejected at load with one message naming the file, the step and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from actions.config import REPO_ROOT

RUNBOOK_DIR = Path(__file__).resolve().parent


class RunbookError(Exception):
    """A runbook that cannot be used; the message names the file, the step and the field."""


class PredicateRef(BaseModel):
    """A live check by name, with its arguments: ``all_hosts_reachable`` or ``{container_running: {...}}``."""

    model_config = ConfigDict(frozen=True)

    name: str
    args: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"name": value}
        if isinstance(value, dict) and len(value) == 1 and "name" not in value:
            ((name, args),) = value.items()
            return {"name": name, "args": args or {}}
        return value

    def label(self) -> str:
        """The predicate as written in the runbook: ``name(arg=value)``."""
        if not self.args:
            return self.name
        inner = ", ".join(f"{k}={v}" for k, v in self.args.items())
        return f"{self.name}({inner})"


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PlaybookAction(_Action):
    """Run a playbook of the collection (check mode first, then for real behind the gate)."""
    type: Literal["playbook"]
    playbook: str = Field(description="Path under ansible/, e.g. playbooks/01_system.yml")
    limit: str | None = None
    tags: list[str] = Field(default_factory=list)
    extra_vars: dict[str, Any] = Field(default_factory=dict)
    check_first: bool = Field(True, description="Offer a check-mode run before the real one.")
    pick_backup: str | None = Field(
        None, description="Directory on the backup host to list backups from; the operator picks one."
    )
    backup_host: str = Field("backup_target", description="Host or group that holds the backups.")
    backup_var: str = Field("backup_file", description="Extra var that carries the chosen backup's path.")
    ask_vars: list[str] = Field(
        default_factory=list, description="Extra vars the operator types at run time (e.g. which volume)."
    )


class TofuPlanAction(_Action):
    """Plan an OpenTofu root (read-only)."""
    type: Literal["tofu_plan"]
    root: str = Field(description="Root name: iac or postgres/iac")


class VaultInitAction(_Action):
    """Initialise Vault (typed confirmation; the shares are shown once)."""
    type: Literal["vault_init"]


class VaultUnsealAction(_Action):
    """Unseal Vault, share by share."""
    type: Literal["vault_unseal"]


class SshCommandAction(_Action):
    """Run a command on hosts over SSH, behind the gate."""
    type: Literal["ssh_command"]
    hosts: list[str] = Field(min_length=1, description="Inventory host names or groups.")
    command: str
    destructive: bool = False


class ManualAction(_Action):
    """Something the operator does by hand, described."""
    type: Literal["manual"]
    instructions: str


Action = Annotated[
    PlaybookAction | TofuPlanAction | VaultInitAction | VaultUnsealAction | SshCommandAction | ManualAction,
    Field(discriminator="type"),
]


class Step(BaseModel):
    """One step of a runbook: what it needs first, its action, and the checks that prove it done."""
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str
    doc: str = Field(description="Guidebook page under docs/, e.g. docs/playbooks/01_system.md")
    requires: list[PredicateRef | str] = Field(default_factory=list)
    action: Action
    verify: list[PredicateRef] = Field(default_factory=list)
    target_minutes: float | None = Field(None, description="How long the step should take; for reports.")

    @field_validator("requires", mode="before")
    @classmethod
    def _requires(cls, value: Any) -> Any:
        # A bare string naming an earlier step stays a string; everything else is a predicate.
        return [v if isinstance(v, str) and v.startswith("step:") else PredicateRef.model_validate(v)
                for v in (value or [])]

    def required_steps(self) -> list[str]:
        """The ids of the steps this one needs done first."""
        return [r.removeprefix("step:") for r in self.requires if isinstance(r, str)]

    def required_predicates(self) -> list[PredicateRef]:
        """The live predicates this one needs true first."""
        return [r for r in self.requires if isinstance(r, PredicateRef)]


class Runbook(BaseModel):
    """A checklist: its steps in order, read from a YAML file."""
    model_config = ConfigDict(extra="forbid")

    name: str
    title: str
    kind: Literal["bringup", "recovery"]
    description: str = ""
    steps: list[Step] = Field(min_length=1)
    path: Path | None = Field(None, exclude=True)

    def step(self, step_id: str) -> Step:
        """The step ``step_id``; ``KeyError`` when there is none."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def index(self, step_id: str) -> int:
        """The position of step ``step_id``."""
        return [s.id for s in self.steps].index(step_id)


def _where(data: dict[str, Any], loc: tuple[Any, ...]) -> str:
    """'step 03_setup, field action.playbook' from a pydantic error location."""
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
        steps = data.get("steps") or []
        sid = steps[loc[1]].get("id") if loc[1] < len(steps) and isinstance(steps[loc[1]], dict) else None
        rest = ".".join(str(p) for p in loc[2:] if p not in ("PlaybookAction", "ManualAction")) or "(step)"
        return f"step {sid or '#' + str(loc[1] + 1)}, field {rest}"
    return "field " + ".".join(str(p) for p in loc)


def load_runbook(path: Path, *, repo_root: Path = REPO_ROOT) -> Runbook:
    """Parse and validate one runbook file, checking every name it references exists."""
    from actions.runbooks.predicates import PREDICATES

    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise RunbookError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise RunbookError(f"{path}: invalid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise RunbookError(f"{path}: a runbook is a mapping with name, title, kind and steps")
    try:
        book = Runbook.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise RunbookError(f"{path}: {_where(data, tuple(err['loc']))}: {err['msg']}") from None
    book.path = path
    seen: set[str] = set()
    for step in book.steps:
        where = f"{path}: step {step.id}"
        if step.id in seen:
            raise RunbookError(f"{where}: id is used twice")
        for dep in step.required_steps():
            if dep not in seen:
                raise RunbookError(f"{where}, field requires: {dep!r} is not an earlier step")
        for ref in [*step.required_predicates(), *step.verify]:
            predicate = PREDICATES.get(ref.name)
            if predicate is None:
                raise RunbookError(f"{where}: unknown predicate {ref.name!r}")
            problem = predicate.check_args(ref.args)
            if problem:
                raise RunbookError(f"{where}: predicate {ref.name}: {problem}")
        if not (repo_root / step.doc).is_file():
            raise RunbookError(f"{where}, field doc: no such page {step.doc}")
        action = step.action
        if isinstance(action, PlaybookAction) and not (repo_root / "ansible" / action.playbook).is_file():
            raise RunbookError(f"{where}, field action.playbook: unknown playbook {action.playbook}")
        if isinstance(action, TofuPlanAction) and not (repo_root / action.root).is_dir():
            raise RunbookError(f"{where}, field action.root: unknown tofu root {action.root}")
        seen.add(step.id)
    return book


def runbook_files(directory: Path = RUNBOOK_DIR) -> list[Path]:
    """The runbook files in ``directory``, by name."""
    return sorted(directory.glob("*.yml"))


def load_all(directory: Path = RUNBOOK_DIR, *, repo_root: Path = REPO_ROOT) -> list[Runbook]:
    """Every runbook in ``directory``, validated."""
    return [load_runbook(p, repo_root=repo_root) for p in runbook_files(directory)]
