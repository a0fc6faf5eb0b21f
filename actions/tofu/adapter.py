"""The OpenTofu adapter: init, plan to a saved file, summarize it, and apply exactly that file behind a gate.

Every operation on a root holds the root's lock (``actions.locks.root_lock``) for its whole run, so two
plans or applies never overlap, even from two app instances. Planning is read-only; apply takes a permit
and checks it with ``gates.require`` right before it starts the binary.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import SecretStr

from actions import change_log, gates
from actions.config import Settings
from actions.journal import Journal
from actions.locks import FileLock, LockBusy, root_lock
from actions.tofu import store
from actions.tofu.errors import (
    ApplyFailed,
    InitFailed,
    NoSavedPlan,
    PlanFailed,
    RootBusy,
    StalePlan,
    TofuCancelled,
    TofuError,
    backend_hint,
    format_diagnostic,
    provider_unavailable,
)
from actions.tofu.roots import Root, discover_roots, find_binary, find_root
from actions.tofu.runner import (
    FLAG,
    EventCallback,
    RunResult,
    build_argv,
    process_env,
    run_capture,
    run_streaming,
)
from actions.tofu.store import PlanRecord
from actions.tofu.summary import PlanFormatError, PlanSummary, summarize

#: How many addresses per action the confirmation lists before "... and N more".
REQUEST_LIST_LIMIT = 15


@dataclass(frozen=True, slots=True)
class PlanResult:
    """A finished plan: its saved record and its summary."""

    root: str
    record: PlanRecord
    summary: PlanSummary
    plan_file: Path


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What an apply did: the root, its record and a sentence."""
    root: str
    record: PlanRecord
    message: str


def _failure(kind: str, root: Root, result: RunResult) -> str:
    diags = result.diagnostics
    # "encountered problems during initialisation" only announces the diagnostics that follow or precede.
    specific = [d for d in diags if "encountered problems" not in str(d.get("summary", ""))]
    lines = [format_diagnostic(d) for d in specific or diags]
    if not lines:
        lines = result.text_tail[-5:] or [f"exit status {result.returncode}"]
    return f"{kind} of {root.name} failed: " + "; ".join(lines)


class TofuAdapter:
    """The lab's roots and what can be done with them, for one set of settings."""

    def __init__(self, settings: Settings, env: Mapping[str, str | SecretStr] | None = None) -> None:
        self.settings = settings
        # Extra environment for every run (TF_VAR_*, credentials read from Vault); memory only.
        self.env = dict(env or {})

    # -- roots and records ---------------------------------------------------------------------------
    def roots(self) -> list[Root]:
        """The lab's OpenTofu roots."""
        return discover_roots(self.settings)

    def root(self, name: str) -> Root:
        """The root ``name`` (or a directory of ``.tf`` files)."""
        return find_root(self.settings, name)

    def binary(self) -> str:
        """The ``tofu`` or ``terraform`` binary to run."""
        return find_binary(self.settings)

    def record(self, root: Root) -> PlanRecord | None:
        """The root's last plan record, or ``None``."""
        return store.load_record(self.settings, root.name)

    def _lock(self, root: Root, what: str) -> FileLock:
        lock = root_lock(self.settings.state_dir, root.name, f"{what} by {self.settings.operator}")
        try:
            lock.acquire()
        except LockBusy as exc:
            raise RootBusy(f"{root.name}: another plan or apply is running ({exc})") from None
        return lock

    def _env(self) -> dict[str, str]:
        return process_env(self.env)

    def _check_root(self, root: Root) -> None:
        if not root.path.is_dir():
            raise TofuError(f"root {root.name}: directory {root.path} does not exist")
        if not any(root.path.glob("*.tf")) and not any(root.path.glob("*.tofu")):
            raise TofuError(f"root {root.name}: no .tf files in {root.path}")

    # -- init / plan / show ---------------------------------------------------------------------------
    async def init(
        self, root: Root, *, backend: bool = True, on_event: EventCallback | None = None,
        cancel: asyncio.Event | None = None,
    ) -> RunResult:
        """Run ``init`` in the root (``-backend=false`` when ``backend`` is false), streaming its events."""
        options: dict[str, object] = {"input": False, "json": FLAG, "no_color": FLAG}
        if not backend:
            options["backend"] = False
        argv = build_argv(self.binary(), "init", **options)
        result = await run_streaming(argv, cwd=root.path, env=self._env(), on_event=on_event, cancel=cancel)
        if result.returncode != 0:
            reason = provider_unavailable(result.diagnostics) or backend_hint(result.diagnostics, backend)
            if reason:
                raise InitFailed(f"init of {root.name} failed: {reason}")
            raise InitFailed(_failure("init", root, result))
        return result

    async def plan(
        self, root: Root, *, backend: bool = True, init: bool = True, on_event: EventCallback | None = None,
        cancel: asyncio.Event | None = None,
    ) -> PlanResult:
        """``init`` then ``plan -out`` into the root's plan dir, then summarize it and save its record."""
        self._check_root(root)
        binary = self.binary()
        lock = self._lock(root, "plan")
        created = datetime.now(UTC)
        folder = store.ensure_plan_dir(self.settings, root.name)
        final = folder / store.PLAN_FILE
        fresh = folder / (store.PLAN_FILE + ".new")
        base = PlanRecord(root=root.name, status="failed", created_at=created, binary=binary, backend=backend)
        try:
            if init:
                await self.init(root, backend=backend, on_event=on_event, cancel=cancel)
            argv = build_argv(binary, "plan", input=False, json=FLAG, detailed_exitcode=FLAG, out=str(fresh))
            result = await run_streaming(
                argv, cwd=root.path, env=self._env(), on_event=on_event, cancel=cancel
            )
            if result.returncode not in (0, 2) or not fresh.is_file():
                hint = backend_hint(result.diagnostics, backend)
                message = f"plan of {root.name} failed: {hint}" if hint else _failure("plan", root, result)
                raise PlanFailed(message)
            fresh.chmod(0o600)
            summary = await self._show(root, binary, fresh)
            serial, lineage = store.plan_state_ids(fresh)
            fresh.replace(final)
            record = base.model_copy(update={
                "status": "changes" if summary.has_changes else "no-changes",
                "serial": serial, "lineage": lineage, "plan_sha256": store.file_sha256(final),
                "counts": summary.counts, "destructive": summary.destructive,
                "message": summary.counts.line(),
            })
            store.save_record(self.settings, record)
            return PlanResult(root=root.name, record=record, summary=summary, plan_file=final)
        except BaseException as exc:
            # A failed or cancelled plan leaves no plan to apply: the last record says why.
            for path in (fresh, final):
                path.unlink(missing_ok=True)
            cancelled = isinstance(exc, asyncio.CancelledError | TofuCancelled)
            status = "cancelled" if cancelled else "failed"
            message = str(exc) if isinstance(exc, TofuError) else f"{type(exc).__name__}: {exc}"
            store.save_record(self.settings, base.model_copy(update={"status": status, "message": message}))
            raise
        finally:
            lock.release()

    async def _show(self, root: Root, binary: str, plan_file: Path) -> PlanSummary:
        argv = build_argv(binary, "show", str(plan_file), json=FLAG, no_color=FLAG)
        code, out, err = await run_capture(argv, cwd=root.path, env=self._env())
        if code != 0:
            raise PlanFailed(f"show of the plan of {root.name} failed: {err.strip() or code}")
        try:
            doc = json.loads(out)
        except ValueError:
            raise PlanFailed(f"show of the plan of {root.name} printed something that is not JSON") from None
        try:
            return summarize(doc)
        except PlanFormatError as exc:
            raise PlanFailed(f"the plan of {root.name} cannot be shown: {exc}") from None

    async def saved_summary(self, root: Root) -> tuple[PlanRecord, PlanSummary]:
        """The last saved plan's record and summary (``show -json`` of the saved file)."""
        record = self.record(root)
        path = store.plan_path(self.settings, root.name)
        if record is None or record.status not in ("changes", "no-changes") or not path.is_file():
            raise NoSavedPlan(f"{root.name} has no saved plan: plan it first")
        return record, await self._show(root, self.binary(), path)

    # -- apply ---------------------------------------------------------------------------------------
    async def current_state_ids(self, root: Root) -> tuple[int, str]:
        """The serial and lineage of the root's current state (``state pull``)."""
        argv = build_argv(self.binary(), "state pull")
        code, out, err = await run_capture(argv, cwd=root.path, env=self._env())
        if code != 0:
            raise TofuError(f"cannot read the state of {root.name}: {err.strip() or f'exit status {code}'}")
        return store.state_ids(out)

    async def prepare_apply(self, root: Root) -> tuple[PlanRecord, PlanSummary, gates.GateRequest]:
        """Check the saved plan can be applied (exists, has changes, fresh) and build its gate request."""
        record, summary = await self.saved_summary(root)
        if record.status == "no-changes" or not summary.has_changes:
            raise NoSavedPlan(f"the saved plan of {root.name} has no changes: nothing to apply")
        path = store.plan_path(self.settings, root.name)
        if record.plan_sha256 != store.file_sha256(path):
            raise StalePlan(f"the saved plan file of {root.name} is not the reviewed one: plan again")
        reason = store.stale_reason(
            record, await self.current_state_ids(root), self.settings.tofu.plan_max_age_minutes
        )
        if reason:
            raise StalePlan(reason)
        return record, summary, self.apply_request(root, record, summary)

    def apply_argv(self, root: Root) -> list[str]:
        """The argv that applies the root's saved plan file."""
        path = store.plan_path(self.settings, root.name)
        return build_argv(self.binary(), "apply", str(path), input=False, json=FLAG)

    def apply_request(self, root: Root, record: PlanRecord, summary: PlanSummary) -> gates.GateRequest:
        """The apply confirmation: exact command, summary, and the typed name when it destroys."""
        counts = summary.counts
        level = gates.Level.DESTRUCTIVE if summary.destructive else gates.Level.CHANGE
        details = [
            f"plan:    {counts.line()}",
            f"made:    {record.created_at:%Y-%m-%d %H:%M:%S} UTC against state serial {record.serial}"
            f" (lineage {(record.lineage or 'none')[:8]}), file {(record.plan_sha256 or '')[:12]}",
        ]
        for action, items in summary.grouped():
            names = [c.label for c in items[:REQUEST_LIST_LIMIT]]
            extra = len(items) - REQUEST_LIST_LIMIT
            more = f" ... and {extra} more" if extra > 0 else ""
            details.append(f"{action.value:8} {', '.join(names)}{more}")
        moved = [f"{c.previous_address} -> {c.address}" for c in summary.changes if c.moved]
        if moved:
            details.append("moves:   " + ", ".join(moved[:REQUEST_LIST_LIMIT]))
        if summary.invocations:
            details.append("invoke:  " + ", ".join(summary.invocations[:REQUEST_LIST_LIMIT]))
        if summary.outputs:
            details.append("outputs: " + ", ".join(f"{o.name} ({o.action.value})" for o in summary.outputs))
        return gates.GateRequest(
            kind="tofu.apply",
            level=level,
            title=f"Apply the saved plan of {root.name}",
            command=tuple(self.apply_argv(root)),
            targets=(root.name,),
            details=tuple(details),
            confirm_name=root.name if level is gates.Level.DESTRUCTIVE else None,
        )

    async def apply(
        self, root: Root, permit: gates.Permit | None, *, on_event: EventCallback | None = None,
        cancel: asyncio.Event | None = None, journal: Journal | None = None,
    ) -> ApplyResult:
        """Apply the saved plan, and only it, once the permit matches what the plan does now. With a
        ``journal``, the apply is recorded there as it starts and as it ends."""
        lock = self._lock(root, "apply")
        started = False
        change: str | None = None

        def note(status: str, message: str) -> None:
            if journal is not None and change is not None:
                change_log.finish(journal, change, status, message, TofuError)

        try:
            record, _summary, request = await self.prepare_apply(root)
            gates.require(permit, request)
            if journal is not None and permit is not None:
                change = change_log.start(journal, permit, TofuError)
            started = True
            result = await run_streaming(
                self.apply_argv(root), cwd=root.path, env=self._env(), on_event=on_event, cancel=cancel
            )
            now = datetime.now(UTC)
            if result.returncode != 0:
                message = _failure("apply", root, result)
                self._finish(record, "apply-failed", message, now)
                raise ApplyFailed(message + " (the state may be partly changed: plan again to see it)")
            done_line = record.counts.line().removeprefix("Plan: ") if record.counts else "the saved plan"
            message = f"applied: {done_line}"
            done = self._finish(record, "applied", message, now)
            note(change_log.OK, message)
            return ApplyResult(root=root.name, record=done, message=message)
        except (asyncio.CancelledError, TofuCancelled):
            if started:
                message = "apply cancelled: the state may be partly changed"
                self._finish(record, "apply-failed", message, datetime.now(UTC))
                note(change_log.STOPPED, message)
            raise
        except Exception as exc:  # a failed apply, or one that could not start: its record says which
            note(change_log.ERROR, str(exc))
            raise
        finally:
            lock.release()

    def _finish(self, record: PlanRecord, status: store.Status, message: str, now: datetime) -> PlanRecord:
        done = record.model_copy(update={"status": status, "message": message, "applied_at": now})
        store.save_record(self.settings, done)
        # A saved plan applies once; keeping it would only invite a stale second apply.
        store.plan_path(self.settings, record.root).unlink(missing_ok=True)
        return done
