"""The OpenTofu adapter against real ``terraform`` and fixture roots (local state, no providers)."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from actions import gates
from actions.config import Settings
from actions.locks import root_lock
from actions.tofu import (
    InitFailed,
    NoSavedPlan,
    PlanFailed,
    RootBusy,
    StalePlan,
    TofuAdapter,
    TofuCancelled,
    TofuEvent,
    TofuNotFound,
    store,
)
from tests.conftest import make_settings, pids_mentioning

DATA = Path(__file__).resolve().parent.parent / "data" / "tofu"
TERRAFORM = shutil.which("terraform") or shutil.which("tofu")
pytestmark = pytest.mark.integration


@pytest.fixture
def roots(tmp_path: Path, tofu_env: str) -> Path:
    """Fixture roots copied to a temp dir (their local state lands there) and a quiet, empty CLI config."""
    dest = tmp_path / "roots"
    shutil.copytree(DATA, dest)
    return dest


def settings_for(tmp_path: Path, roots: Path, **tofu: object) -> Settings:
    names = ["changes", "slow", "broken", "needs-provider"]
    return make_settings(tmp_path / "state", tofu={"roots": [str(roots / n) for n in names], **tofu})


def terraform(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [TERRAFORM or "terraform", *args]
    return subprocess.run(argv, cwd=root, capture_output=True, text=True, check=False)


def baseline(root: Path) -> None:
    """State with n = 2, made directly with the binary (setup, not the code under test)."""
    assert terraform(root, "init", "-input=false").returncode == 0
    done = terraform(root, "apply", "-auto-approve", "-input=false")
    assert done.returncode == 0, done.stdout + done.stderr


def state_doc(root: Path) -> dict[str, object]:
    return json.loads((root / "terraform.tfstate").read_text())


async def test_plan_summarizes_every_kind_of_change(tmp_path: Path, roots: Path) -> None:
    baseline(roots / "changes")
    adapter = TofuAdapter(settings_for(tmp_path, roots), env={"TF_VAR_n": "3"})
    events: list[TofuEvent] = []
    result = await adapter.plan(adapter.root("changes"), on_event=events.append)

    summary = result.summary
    assert summary.counts.model_dump() == {
        "import": 0, "add": 2, "change": 2, "destroy": 2, "forget": 0, "replace": 1, "move": 0, "read": 0,
        "invoke": 0,
    }
    grouped = {action.value: [c.address for c in items] for action, items in summary.grouped()}
    assert list(grouped) == ["delete", "replace", "update", "create"]
    assert grouped["delete"] == ["terraform_data.gone[0]"]
    assert grouped["replace"] == ["terraform_data.rep"]
    assert grouped["create"] == ["terraform_data.added[0]"]
    assert {o.name: o.action.value for o in summary.outputs} == {"n": "update", "token": "update"}

    # The counts agree with the binary's own reading of the saved plan ...
    shown = json.loads(terraform(roots / "changes", "show", "-json", str(result.plan_file)).stdout)
    actions = [tuple(rc["change"]["actions"]) for rc in shown["resource_changes"]]
    replaces = sum(1 for a in actions if set(a) == {"delete", "create"})
    assert summary.counts.add == actions.count(("create",)) + replaces
    assert summary.counts.change == actions.count(("update",))
    assert summary.counts.destroy == actions.count(("delete",)) + replaces
    assert summary.counts.replace == replaces
    # ... and with the change_summary event streamed while planning (a replace is one add and one remove).
    streamed = next(e.raw["changes"] for e in events if e.type == "change_summary")
    assert streamed["add"] == summary.counts.add
    assert streamed["change"] == summary.counts.change
    assert streamed["remove"] == summary.counts.destroy
    assert any(e.type == "planned_change" for e in events)

    # Sensitive values stay masked until revealed.
    sec = summary.find("terraform_data.sec")
    assert sec is not None
    row = next(r for r in sec.attributes() if r.name == "input")
    assert row.sensitive and row.before == "(sensitive)" and row.after == "(sensitive)"
    shown_row = next(r for r in sec.attributes(reveal=True) if r.name == "input")
    assert shown_row.before == '"hunter2-2"' and shown_row.after == '"hunter2-3"'
    token = next(o for o in summary.outputs if o.name == "token")
    assert token.shown() == ("(sensitive)", "(sensitive)")

    # The record keeps counts and the state it was made against, never a value.
    record = store.load_record(adapter.settings, "changes")
    assert record is not None and record.status == "changes" and record.destructive
    state = state_doc(roots / "changes")
    assert (record.serial, record.lineage) == (state["serial"], state["lineage"])
    saved = (store.plan_dir(adapter.settings, "changes") / "plan.json").read_text()
    assert "hunter2" not in saved
    assert oct(store.plan_dir(adapter.settings, "changes").stat().st_mode & 0o777) == "0o700"


async def test_no_changes_plan_cannot_be_applied(tmp_path: Path, roots: Path) -> None:
    baseline(roots / "changes")
    adapter = TofuAdapter(settings_for(tmp_path, roots))
    result = await adapter.plan(adapter.root("changes"))
    assert not result.summary.has_changes
    assert result.record.status == "no-changes"
    with pytest.raises(NoSavedPlan, match="no changes"):
        await adapter.prepare_apply(adapter.root("changes"))


async def test_apply_of_the_saved_plan_changes_the_state(tmp_path: Path, roots: Path) -> None:
    baseline(roots / "changes")
    before = state_doc(roots / "changes")
    adapter = TofuAdapter(settings_for(tmp_path, roots), env={"TF_VAR_n": "3"})
    root = adapter.root("changes")
    await adapter.plan(root)

    _record, _summary, request = await adapter.prepare_apply(root)
    assert request.level is gates.Level.DESTRUCTIVE and request.confirm_name == "changes"
    assert request.command[-1] == str(store.plan_path(adapter.settings, "changes"))
    permit = gates.issue(request, confirmed=True, typed_name="changes")
    events: list[TofuEvent] = []
    result = await adapter.apply(root, permit, on_event=events.append)

    after = state_doc(roots / "changes")
    assert after["serial"] > before["serial"]
    addresses = {f"{r['type']}.{r['name']}" for r in after["resources"]}  # type: ignore[index]
    assert "terraform_data.added" in addresses and "terraform_data.gone" not in addresses
    assert after["outputs"]["n"]["value"] == 3  # type: ignore[index]
    assert any(e.type == "apply_complete" for e in events)
    assert result.record.status == "applied"
    # The plan applies once: it is gone, and a second apply is refused.
    assert not store.plan_path(adapter.settings, "changes").exists()
    with pytest.raises(NoSavedPlan):
        await adapter.apply(root, permit)


async def test_destroy_without_the_typed_name_is_refused(tmp_path: Path, roots: Path) -> None:
    baseline(roots / "changes")
    before = state_doc(roots / "changes")
    adapter = TofuAdapter(settings_for(tmp_path, roots), env={"TF_VAR_n": "3"})
    root = adapter.root("changes")
    await adapter.plan(root)
    _record, _summary, request = await adapter.prepare_apply(root)

    with pytest.raises(gates.GateRefused, match="type 'changes'"):
        gates.issue(request, confirmed=True)
    with pytest.raises(gates.GateRefused, match="type 'changes'"):
        gates.issue(request, confirmed=True, typed_name="iac")
    with pytest.raises(gates.GateRefused):
        await adapter.apply(root, None)
    # A change-level permit (confirmed, no name) cannot be reused for this destructive request either.
    change_level = request.model_copy(update={"level": gates.Level.CHANGE, "confirm_name": None})
    with pytest.raises(gates.GateRefused, match="different action"):
        await adapter.apply(root, gates.issue(change_level, confirmed=True))
    assert state_doc(roots / "changes")["serial"] == before["serial"]
    assert store.plan_path(adapter.settings, "changes").exists()


async def test_stale_plan_is_refused_by_age(tmp_path: Path, roots: Path) -> None:
    baseline(roots / "changes")
    adapter = TofuAdapter(settings_for(tmp_path, roots), env={"TF_VAR_n": "3"})
    root = adapter.root("changes")
    result = await adapter.plan(root)
    _r, _s, request = await adapter.prepare_apply(root)
    permit = gates.issue(request, confirmed=True, typed_name="changes")
    old = result.record.model_copy(update={"created_at": datetime.now(UTC) - timedelta(minutes=16)})
    store.save_record(adapter.settings, old)

    with pytest.raises(StalePlan, match=r"16m\d\ds old \(limit 15 min\): plan again"):
        await adapter.apply(root, permit)
    assert not permit.used


async def test_stale_plan_is_refused_when_the_state_moved(tmp_path: Path, roots: Path) -> None:
    baseline(roots / "changes")
    adapter = TofuAdapter(settings_for(tmp_path, roots), env={"TF_VAR_n": "3"})
    root = adapter.root("changes")
    await adapter.plan(root)
    _r, _s, request = await adapter.prepare_apply(root)
    permit = gates.issue(request, confirmed=True, typed_name="changes")
    # Someone else (CI, another machine) applies in the meantime.
    moved = terraform(roots / "changes", "apply", "-auto-approve", "-input=false", "-var", "n=4")
    assert moved.returncode == 0, moved.stderr

    with pytest.raises(StalePlan, match=r"serial .* -> .*plan again"):
        await adapter.apply(root, permit)
    assert not permit.used


async def test_a_root_is_locked_while_planned(tmp_path: Path, roots: Path) -> None:
    adapter = TofuAdapter(settings_for(tmp_path, roots))
    # Another app instance holds the lock: a separate process.
    holder = subprocess.Popen(
        ["python3", "-c",
         "import fcntl,os,sys,time; fd=os.open(sys.argv[1], os.O_RDWR|os.O_CREAT); "
         "os.write(fd, b'plan by someone'); fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); "
         "time.sleep(60)",
         str(root_lock(adapter.settings.state_dir, "changes", "").path)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        root_lock(adapter.settings.state_dir, "changes", "").path.parent.mkdir(parents=True, exist_ok=True)
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(RootBusy, match=r"another plan or apply is running.*plan by someone"):
            await adapter.plan(adapter.root("changes"))
    finally:
        holder.kill()
        holder.wait()
    result = await adapter.plan(adapter.root("changes"))
    assert result.summary.counts.add == 5


def _sleepers(marker: str) -> list[int]:
    return pids_mentioning(marker)


async def test_cancel_during_a_slow_local_exec_stops_every_process(tmp_path: Path, roots: Path) -> None:
    seconds = f"{300 + uuid.uuid4().int % 1000}.{uuid.uuid4().int % 10**6:06d}"
    adapter = TofuAdapter(settings_for(tmp_path, roots), env={"TF_VAR_seconds": seconds})
    root = adapter.root("slow")
    await adapter.plan(root)
    _r, _s, request = await adapter.prepare_apply(root)
    permit = gates.issue(request, confirmed=True)
    cancel = asyncio.Event()
    started = asyncio.Event()
    pids: list[int] = []

    def on_event(event: TofuEvent) -> None:
        if event.type == "provision_start":
            started.set()

    task = asyncio.create_task(adapter.apply(root, permit, on_event=on_event, cancel=cancel))
    await asyncio.wait_for(started.wait(), 30)
    for _ in range(50):
        pids = _sleepers(f"sleep {seconds}")
        if pids:
            break
        await asyncio.sleep(0.1)
    assert pids, "the provisioner's sleep never started"
    cancel.set()
    with pytest.raises(TofuCancelled):
        await asyncio.wait_for(task, 30)
    assert _sleepers(f"sleep {seconds}") == []
    record = store.load_record(adapter.settings, "slow")
    assert record is not None and record.status == "apply-failed" and "cancelled" in record.message


async def test_a_root_with_an_hcl_error_says_where(tmp_path: Path, roots: Path) -> None:
    adapter = TofuAdapter(settings_for(tmp_path, roots))
    with pytest.raises((InitFailed, PlanFailed)) as caught:
        await adapter.plan(adapter.root("broken"))
    message = str(caught.value)
    assert "broken" in message and "main.tf:4: Invalid expression" in message
    assert "\n" not in message and "Traceback" not in message
    record = store.load_record(adapter.settings, "broken")
    assert record is not None and record.status == "failed" and "main.tf:4" in record.message


async def test_a_provider_that_cannot_be_installed_says_so(tmp_path: Path, roots: Path) -> None:
    # A CLI config whose only provider source is an empty mirror: as here, the registry is out of reach.
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    rc = tmp_path / "mirror.tfrc"
    rc.write_text(f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror}"\n  }}\n}}\n')
    adapter = TofuAdapter(settings_for(tmp_path, roots), env={"TF_CLI_CONFIG_FILE": str(rc)})
    with pytest.raises(InitFailed) as caught:
        await adapter.plan(adapter.root("needs-provider"))
    assert "provider hashicorp/vault is not available on this machine" in str(caught.value)


async def test_a_missing_binary_says_so(tmp_path: Path, roots: Path) -> None:
    adapter = TofuAdapter(settings_for(tmp_path, roots, binary=str(tmp_path / "no" / "tofu")))
    with pytest.raises(TofuNotFound, match=r"binary '.*/no/tofu' \(settings tofu.binary\) is missing"):
        await adapter.plan(adapter.root("changes"))


async def test_no_binary_on_path_says_so(
    tmp_path: Path, roots: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    adapter = TofuAdapter(settings_for(tmp_path, roots))
    with pytest.raises(TofuNotFound, match="neither `tofu` nor `terraform` is on PATH"):
        await adapter.plan(adapter.root("changes"))
