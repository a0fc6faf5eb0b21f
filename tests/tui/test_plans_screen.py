"""The plans screen with Pilot, against the real ``terraform`` binary and a fixture root."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, TypeVar

import pytest
from textual.widgets import Button, DataTable, Input, RichLog, Static

from actions import change_log
from actions.config import Settings
from actions.journal import open_journal
from actions.tofu import store
from tests.conftest import make_settings, pids_mentioning
from tui.app import FactoryApp
from tui.modals.confirm import TypedConfirmModal
from tui.modals.plan import GuideModal, PlanDetailModal
from tui.screens.plans import PlansScreen
from tui.widgets.health_strip import HealthStrip
from tui.widgets.plan_list import PlanLineList
from tui.widgets.plan_summary import PlanSummaryView

DATA = Path(__file__).resolve().parent.parent / "data" / "tofu"
T = TypeVar("T")


@pytest.fixture
def tofu_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tofu_env: str) -> Settings:
    root = tmp_path / "changes"
    shutil.copytree(DATA / "changes", root)
    for args in (["init", "-input=false"], ["apply", "-auto-approve", "-input=false"]):
        done = subprocess.run([tofu_env, *args], cwd=root, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
    monkeypatch.setenv("TF_VAR_n", "3")
    return make_settings(tmp_path / "state", tofu={"roots": [str(root)]})


async def wait_for_screen(pilot: Any, kind: type[T], seconds: float = 20) -> T:
    """The apply first reads the saved plan and the state (two processes): wait for its modal."""
    for _ in range(int(seconds * 10)):
        if isinstance(pilot.app.screen, kind):
            return pilot.app.screen
        await pilot.pause(0.1)
    raise AssertionError(f"{kind.__name__} never showed; screen is {pilot.app.screen!r}")


def select_root(app: FactoryApp, name: str) -> None:
    table = app.screen.query_one("#plan-roots", DataTable)
    row = next(i for i, key in enumerate(table.rows) if key.value == name)
    table.move_cursor(row=row)


async def test_plan_detail_guide_and_gated_apply(tofu_settings: Settings) -> None:
    app = FactoryApp(settings=tofu_settings, lab=None, lab_error=None)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("4")
        screen = app.screen
        assert isinstance(screen, PlansScreen)
        assert screen.query_one(HealthStrip)
        select_root(app, "changes")
        await pilot.pause()
        status = screen.query_one("#plan-roots", DataTable).get_row("changes")[1]
        assert str(status) == "never planned"

        await pilot.press("p")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("l")  # the summary replaced the log at the end; flip back to read it
        await pilot.pause()
        log_lines = "\n".join(str(line.text) for line in screen.query_one("#plan-log", RichLog).lines)
        assert "Plan to delete" in log_lines and "Plan: 2 to add" in log_lines
        await pilot.press("l")
        await pilot.pause()
        counts = str(screen.query_one("#plan-counts", Static).content)
        # The binary's own words, with the replace beside them.
        assert "Plan: 2 to add, 2 to change, 2 to destroy.  (1 to replace)" in counts
        changes = screen.query_one("#plan-changes", PlanLineList)
        lines = [str(changes.text_of(i)) for i in range(len(changes.keys))]
        assert lines[0].startswith("destroy (1)") and "terraform_data.gone[0]" in lines[1]
        assert lines[2].startswith("replace (1)") and changes.keys[0] is None
        assert changes.current_key == "change:terraform_data.gone[0]"
        assert str(screen.query_one("#plan-roots", DataTable).get_row("changes")[1]) == "changes"

        # Detail of the sensitive change: masked, then revealed with s.
        changes.focus()
        for _ in range(10):
            if changes.current_key == "change:terraform_data.sec":
                break
            await pilot.press("down")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PlanDetailModal)
        detail = app.screen.query_one("#plan-detail", Static)
        assert "(sensitive)" in _plain(app, detail) and "hunter2-3" not in _plain(app, detail)
        await pilot.press("s")
        await pilot.pause()
        assert "hunter2-3" in _plain(app, detail)
        await pilot.press("escape")
        await pilot.press("d")  # the screen's key opens the change under the cursor too
        await pilot.pause()
        assert isinstance(app.screen, PlanDetailModal) and app.screen.change.address == "terraform_data.sec"
        await pilot.press("escape")

        await pilot.press("g")
        await pilot.pause()
        assert isinstance(app.screen, GuideModal)
        await pilot.press("escape")

        # Apply: destructive, so the typed name is asked; the wrong name cannot confirm.
        await pilot.press("a")
        modal = await wait_for_screen(pilot, TypedConfirmModal)
        assert modal.request.confirm_name == "changes"
        modal.query_one("#typed", Input).value = "iac"
        await pilot.pause()
        assert modal.query_one("#confirm").disabled
        modal.query_one("#typed", Input).value = "changes"
        await pilot.pause()
        modal.query_one("#typed", Input).focus()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, PlansScreen)
        record = store.load_record(tofu_settings, "changes")
        assert record is not None and record.status == "applied"
        state_root = Path(tofu_settings.tofu.roots[0])
        outputs = json.loads((state_root / "terraform.tfstate").read_text())["outputs"]
        assert outputs["n"]["value"] == 3
        assert str(screen.query_one("#plan-roots", DataTable).get_row("changes")[1]) == "applied"
    done = change_log.changes(open_journal(tofu_settings.state_dir))
    assert [(c.kind, c.targets, c.status) for c in done] == [("tofu.apply", ["changes"], "ok")]


async def test_cancelled_confirmation_changes_nothing(tofu_settings: Settings) -> None:
    app = FactoryApp(settings=tofu_settings, lab=None, lab_error=None)
    state_file = Path(tofu_settings.tofu.roots[0]) / "terraform.tfstate"
    before = json.loads(state_file.read_text())["serial"]
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("4")
        select_root(app, "changes")
        await pilot.press("p")
        await app.workers.wait_for_complete()
        await pilot.press("a")
        await wait_for_screen(pilot, TypedConfirmModal)
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, PlansScreen)
    assert json.loads(state_file.read_text())["serial"] == before
    assert store.plan_path(tofu_settings, "changes").exists()


async def test_apply_without_a_plan_says_plan_first(tofu_settings: Settings) -> None:
    app = FactoryApp(settings=tofu_settings, lab=None, lab_error=None)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("4")
        select_root(app, "changes")
        await pilot.press("a")
        await app.workers.wait_for_complete()
        await pilot.pause()
        status = str(app.screen.query_one("#plan-status", Static).content)
        assert "no saved plan: plan it first" in status
        view = app.screen.query_one(PlanSummaryView)
        assert view.summary is None


def _plain(app: FactoryApp, widget: Static) -> str:
    from rich.console import Console

    console = Console(width=200, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(widget.content)
    return console.export_text()


async def test_a_broken_root_shows_where_it_is_broken(tmp_path: Path, tofu_env: str) -> None:
    shutil.copytree(DATA / "broken", tmp_path / "broken")
    settings = make_settings(tmp_path / "state", tofu={"roots": [str(tmp_path / "broken")]})
    app = FactoryApp(settings=settings, lab=None, lab_error=None)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("4")
        select_root(app, "broken")
        await pilot.press("p")
        for _ in range(300):  # wait_for_complete() would re-raise the worker's error: wait it out instead
            await pilot.pause(0.1)
            if not any(w.is_running for w in app.workers if w.group == "tofu"):
                break
        await pilot.pause()
        status = str(app.screen.query_one("#plan-status", Static).content)
        assert "init of broken failed: main.tf:4: Invalid expression" in status
        assert str(app.screen.query_one("#plan-roots", DataTable).get_row("broken")[1]) == "failed"
        log_lines = "\n".join(str(line.text) for line in app.screen.query_one("#plan-log", RichLog).lines)
        assert "Error: Invalid expression" in log_lines


def _sleepers(marker: str) -> list[int]:
    return pids_mentioning(marker)


async def test_x_cancels_a_running_apply_and_its_provisioner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tofu_env: str
) -> None:
    from tui.modals.confirm import ConfirmModal

    seconds = f"{400 + os.getpid() % 500}.{abs(hash(tmp_path)) % 10**6:06d}"
    monkeypatch.setenv("TF_VAR_seconds", seconds)
    shutil.copytree(DATA / "slow", tmp_path / "slow")
    settings = make_settings(tmp_path / "state", tofu={"roots": [str(tmp_path / "slow")]})
    app = FactoryApp(settings=settings, lab=None, lab_error=None)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("4")
        select_root(app, "slow")
        await pilot.press("p")
        await app.workers.wait_for_complete()
        await pilot.press("a")
        modal = await wait_for_screen(pilot, ConfirmModal)
        assert modal.request.level.label == "change"
        await pilot.pause()
        for _ in range(100):  # pushed is not yet composed on a busy machine
            if modal.query("#confirm"):
                break
            await pilot.pause(0.1)
        await pilot.click("#confirm")
        for _ in range(300):
            await pilot.pause(0.1)
            if _sleepers(f"sleep {seconds}"):
                break
        assert _sleepers(f"sleep {seconds}"), "the provisioner never started"
        await pilot.press("x")
        for _ in range(300):
            await pilot.pause(0.1)
            if not any(w.is_running for w in app.workers if w.group == "tofu"):
                break
        await pilot.pause()
        assert _sleepers(f"sleep {seconds}") == []
        status = str(app.screen.query_one("#plan-status", Static).content)
        assert "cancelled" in status
    record = store.load_record(settings, "slow")
    assert record is not None and record.status == "apply-failed"
    (cancelled,) = change_log.changes(open_journal(settings.state_dir))
    assert (cancelled.kind, cancelled.status) == ("tofu.apply", "stopped")
    assert cancelled.message == "apply cancelled: the state may be partly changed"


async def test_roots_are_refreshed_only_in_sight_and_on_coming_back(
    tofu_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The timer is fired by hand below: its own ticks would add refreshes whenever the machine is slow.
    monkeypatch.setattr(PlansScreen, "REFRESH_EVERY", 3600.0)
    app = FactoryApp(settings=tofu_settings, lab=None, lab_error=None)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("4")
        plans = app.screen
        assert isinstance(plans, PlansScreen)
        refreshed: list[bool] = []
        original = plans.refresh_roots

        def counted() -> None:
            refreshed.append(plans.is_current)
            original()

        plans.refresh_roots = counted  # type: ignore[method-assign]
        await pilot.press("3")
        await pilot.pause()
        plans._refresh_in_front()  # the 10 s timer, while the runs screen is in front
        assert refreshed == []
        await pilot.press("4")
        await pilot.pause()
        assert refreshed == [True]  # brought up to date as it came back
        plans._refresh_in_front()
        assert refreshed == [True, True]


async def test_a_move_only_plan_is_a_change_the_pane_counts_and_the_gate_applies(
    tmp_path: Path, tofu_env: str
) -> None:
    from tui.modals.confirm import ConfirmModal

    root = tmp_path / "moving"
    root.mkdir()
    (root / "main.tf").write_text('resource "terraform_data" "a" { input = "x" }\n')
    for args in (["init", "-input=false"], ["apply", "-auto-approve", "-input=false"]):
        assert subprocess.run([tofu_env, *args], cwd=root, capture_output=True, check=False).returncode == 0
    (root / "main.tf").write_text('resource "terraform_data" "b" { input = "x" }\n'
                                  'moved {\n  from = terraform_data.a\n  to   = terraform_data.b\n}\n')
    settings = make_settings(tmp_path / "state", tofu={"roots": [str(root)]})
    app = FactoryApp(settings=settings, lab=None, lab_error=None)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("4")
        screen = app.screen
        select_root(app, "moving")
        await pilot.press("p")
        await app.workers.wait_for_complete()
        await pilot.pause()
        counts = str(screen.query_one("#plan-counts", Static).content)
        assert "Plan: 0 to add, 0 to change, 0 to destroy.  (1 to move)" in counts and "No changes" not in counts
        assert str(screen.query_one("#plan-roots", DataTable).get_row("moving")[1]) == "changes"
        changes = screen.query_one("#plan-changes", PlanLineList)
        assert "moved from terraform_data.a" in str(changes.text_of(1))

        await pilot.press("a")
        modal = await wait_for_screen(pilot, ConfirmModal)
        assert "plan:    Plan: 0 to add, 0 to change, 0 to destroy. (1 to move)" in modal.request.details
        for _ in range(100):  # pushed is not yet composed on a busy machine
            if modal.query("#confirm"):
                break
            await pilot.pause(0.1)
        modal.query_one("#confirm", Button).press()
        for _ in range(600):  # the apply runs the binary: wait for its record, not for a fixed time
            await pilot.pause(0.1)
            record = store.load_record(settings, "moving")
            if record is not None and record.status != "changes":
                break
        await app.workers.wait_for_complete()
    assert record is not None and record.status == "applied", record
    state = json.loads((root / "terraform.tfstate").read_text())
    assert [r["name"] for r in state["resources"]] == ["b"]
