"""Cancel and Escape at every gate the app shows: on the runs, plans, Vault and step screens, for both kinds
of confirmation (a change's confirm and a destructive action's typed name). Each test drives the real
screen to its modal, leaves it one way or the other, and shows that no permit was issued and that
nothing ran: the marker file a real run would write is absent, the tofu state and Vault are as they were,
the journal holds no run or change."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from vault_helpers import vault_app, wait_for, wait_screen

from actions import change_log, vault
from actions.ansible import RunSpec
from actions.config import Settings
from actions.gates import Permit, issue
from actions.journal import open_journal
from actions.lab import load_lab
from actions.runbooks.engine import StepState
from actions.runbooks.model import Runbook
from actions.tofu import store
from actions.vault import VaultState, VaultTarget
from tests.conftest import make_settings
from tests.vault_server import BaoServer
from tui.app import FactoryApp
from tui.modals.confirm import ConfirmModal, TypedConfirmModal
from tui.screens.plans import PlansScreen
from tui.screens.runs import RunsScreen
from tui.screens.step import StepScreen
from tui.screens.vault import VaultScreen
from tui.screens.vault_init import VaultInitScreen
from tui.widgets.run_pane import RunPane

DATA = Path(__file__).resolve().parent.parent / "data"
INVENTORY = DATA / "playbooks" / "local_inventory.yml"
TERRAFORM = shutil.which("tofu") or shutil.which("terraform")
HOW = ["escape", "cancel button"]


@pytest.fixture
def permits(monkeypatch: pytest.MonkeyPatch) -> list[Permit]:
    """Every permit made while the test runs (``actions.gates`` is the only maker)."""
    made: list[Permit] = []
    original = Permit.__init__

    def record(self: Permit, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(Permit, "__init__", record)
    return made


async def leave(pilot: Any, how: str, modal: type, group: str) -> None:
    """Leave the gate's modal by ``how`` (it must be the one in front), then let the flow that asked (the
    workers of ``group``) finish. The app's pollers are workers too, and never finish."""
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, modal), what=modal.__name__)
    await pilot.pause()
    if how == "escape":
        await pilot.press("escape")
    else:
        await pilot.click("#cancel")
    await wait_for(pilot, lambda: not isinstance(pilot.app.screen, modal), what=f"{modal.__name__} closed")
    await settled(pilot, group)


async def settled(pilot: Any, group: str) -> None:
    """Wait until no worker of ``group`` is pending or running (the app's pollers never end, so
    ``workers.wait_for_complete()`` would wait for ever; handed no worker, it waits for all of them)."""
    await wait_for(pilot, lambda: not any(w.group == group and not w.is_finished for w in pilot.app.workers),
                   what=f"the {group} workers to end")
    await pilot.pause()


# -- runs -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", HOW)
@pytest.mark.parametrize(("playbook", "modal"), [
    ("write_file.yml", ConfirmModal), ("recover/wipe_marker.yml", TypedConfirmModal),
])
async def test_runs_screen_gate_left_runs_nothing(
    settings: Settings, permits: list[Permit], playbook: str, modal: type, how: str
) -> None:
    tag = uuid.uuid4().hex[:10]
    marker = Path(f"/tmp/factory-run-{tag}-local1")
    if playbook.startswith("recover/"):
        marker.write_text("kept\n")  # the destructive playbook would remove it
    try:
        app = FactoryApp(settings=settings, lab=load_lab(INVENTORY), inventory=INVENTORY)
        async with app.run_test(size=(140, 45)) as pilot:
            await pilot.press("3")
            screen = app.screen
            assert isinstance(screen, RunsScreen)
            screen.start_run(RunSpec(playbook=str(DATA / "playbooks" / playbook), inventory=INVENTORY,
                                     limit="local1", extra_vars=(("run_tag", tag),)))
            await leave(pilot, how, modal, "runs-ask")
            assert app.screen is screen and not screen.query(RunPane)
        assert permits == []
        assert marker.exists() is playbook.startswith("recover/")
        assert open_journal(settings.state_dir).runs() == []
    finally:
        marker.unlink(missing_ok=True)


# -- plans ----------------------------------------------------------------------------------------------


@pytest.fixture
def roots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tofu_env: str) -> Settings:
    """Two roots: ``changes`` (applied once; its next plan deletes) and ``slow`` (never applied; its plan
    only creates a resource whose provisioner would write a marker)."""
    changes, slow = tmp_path / "changes", tmp_path / "slow"
    shutil.copytree(DATA / "tofu" / "changes", changes)
    shutil.copytree(DATA / "tofu" / "slow", slow)
    for args in (["init", "-input=false"], ["apply", "-auto-approve", "-input=false"]):
        done = subprocess.run([tofu_env, *args], cwd=changes, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
    monkeypatch.setenv("TF_VAR_n", "3")
    monkeypatch.setenv("TF_VAR_seconds", "0")
    return make_settings(tmp_path / "state", tofu={"roots": [str(changes), str(slow)]})


def _serial(root: Path) -> int | None:
    state = root / "terraform.tfstate"
    return json.loads(state.read_text())["serial"] if state.exists() else None


@pytest.mark.parametrize("how", HOW)
@pytest.mark.parametrize(("root_name", "modal"), [("slow", ConfirmModal), ("changes", TypedConfirmModal)])
async def test_plans_screen_gate_left_applies_nothing(
    roots: Settings, permits: list[Permit], root_name: str, modal: type, how: str
) -> None:
    root = next(Path(r) for r in roots.tofu.roots if Path(r).name == root_name)
    before = _serial(root)
    app = FactoryApp(settings=roots, lab=None, lab_error=None)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("4")
        screen = app.screen
        assert isinstance(screen, PlansScreen)
        table = screen.query_one("#plan-roots")
        table.move_cursor(row=next(i for i, key in enumerate(table.rows) if key.value == root_name))
        await pilot.press("p")
        await settled(pilot, "tofu")
        await pilot.press("a")
        await leave(pilot, how, modal, "tofu")
        assert app.screen is screen
    assert permits == []
    assert _serial(root) == before
    assert store.plan_path(roots, root_name).exists()  # the saved plan stays for a later apply
    assert change_log.changes(open_journal(roots.state_dir)) == []


# -- Vault ----------------------------------------------------------------------------------------------


def _initialised_bao(root: Path, unseal: bool) -> BaoServer:
    """An OpenBao initialised with one share, then unsealed if asked."""
    server = BaoServer(root)
    server.start()
    target = VaultTarget(addr=server.addr)
    plan = vault.check_plan(1, 1)
    result = vault.initialise(target, plan, issue(vault.init_request(target, plan), confirmed=True,
                                                  typed_name="127.0.0.1"))
    if unseal:
        session = vault.UnsealSession(target, issue(vault.unseal_request(target), confirmed=True))
        session.submit(result.shares[0])
        assert vault.wait_settled(target).state is VaultState.UNSEALED
    return server


@pytest.fixture(scope="module")
def sealed_bao(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BaoServer]:
    """A second OpenBao, initialised and sealed (the module's ``bao`` stays uninitialised)."""
    server = _initialised_bao(tmp_path_factory.mktemp("bao-sealed"), unseal=False)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def unsealed_bao(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BaoServer]:
    """A third OpenBao, initialised and unsealed."""
    server = _initialised_bao(tmp_path_factory.mktemp("bao-unsealed"), unseal=True)
    yield server
    server.stop()


def _vault_state(addr: str) -> VaultState:
    return vault.read_status(VaultTarget(addr=addr)).state


@pytest.mark.parametrize("how", HOW)
async def test_vault_unseal_confirm_left_changes_nothing(
    sealed_bao: BaoServer, tmp_path: Path, permits: list[Permit], how: str
) -> None:
    app = vault_app(tmp_path / "state", sealed_bao.addr)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _vault_screen(pilot, VaultState.SEALED)
        await pilot.press("u")
        await leave(pilot, how, ConfirmModal, "vault-op")
        assert app.screen is screen
    assert permits == []
    assert _vault_state(sealed_bao.addr) is VaultState.SEALED
    assert change_log.changes(open_journal(tmp_path / "state")) == []


@pytest.mark.parametrize("how", HOW)
async def test_vault_init_typed_left_changes_nothing(
    bao: BaoServer, tmp_path: Path, permits: list[Permit], how: str
) -> None:
    app = vault_app(tmp_path / "state", bao.addr)
    async with app.run_test(size=(120, 40)) as pilot:
        await _vault_screen(pilot, VaultState.UNINITIALISED)
        await pilot.press("i")
        await wait_screen(pilot, VaultInitScreen, "#start")
        await pilot.click("#start")
        await leave(pilot, how, TypedConfirmModal, "vault-init")
        assert isinstance(app.screen, VaultInitScreen)  # back to choosing the shares, nothing made
    assert permits == []
    assert _vault_state(bao.addr) is VaultState.UNINITIALISED
    assert change_log.changes(open_journal(tmp_path / "state")) == []


# -- a checklist step -----------------------------------------------------------------------------------


def _book(marker: Path, destructive: bool) -> Runbook:
    return Runbook.model_validate({
        "name": "gates", "title": "Gates", "kind": "recovery",
        "steps": [{
            "id": "touch", "title": "Touch the marker", "doc": "docs/index.md",
            "action": {"type": "ssh_command", "hosts": ["pi1"], "command": f"touch {marker}",
                       "destructive": destructive},
        }],
    })


@pytest.mark.parametrize("how", HOW)
@pytest.mark.parametrize(("destructive", "modal"), [(False, ConfirmModal), (True, TypedConfirmModal)])
async def test_step_screen_gate_left_runs_nothing(
    sandbox: Any, settings: Settings, permits: list[Permit], destructive: bool, modal: type, how: str
) -> None:
    marker = Path(f"/tmp/factory-gate-{uuid.uuid4().hex[:10]}")
    app = FactoryApp(settings=settings, lab=load_lab(sandbox.inventory), inventory=sandbox.inventory)
    async with app.run_test(size=(140, 45)) as pilot:
        walk = app.runbooks.start(_book(marker, destructive), reason="", operator="tester")
        await app.push_screen(StepScreen(walk, "touch"))
        await pilot.pause()
        await pilot.press("x")
        await leave(pilot, how, modal, "step-action")
        assert isinstance(app.screen, StepScreen)
        state: Callable[[], StepState] = lambda: walk.views()["touch"].state  # noqa: E731
        assert state() is StepState.PENDING
    assert permits == []
    assert not marker.exists()


# -- the Vault screen's buttons -------------------------------------------------------------------------


async def _vault_screen(pilot: Any, state: VaultState) -> VaultScreen:
    await pilot.press("5")
    screen = pilot.app.screen
    assert isinstance(screen, VaultScreen)
    await wait_for(pilot, lambda: screen.status is not None and screen.status.state is state, what=state.value)
    await pilot.pause()
    return screen


@pytest.mark.parametrize(("button", "modal", "kind"), [
    ("#unseal", ConfirmModal, "vault.unseal"),
    ("#step_down", ConfirmModal, "vault.step-down"),
    ("#seal", TypedConfirmModal, "vault.seal"),
])
async def test_vault_buttons_open_their_gate(
    sealed_bao: BaoServer, unsealed_bao: BaoServer, tmp_path: Path, permits: list[Permit],
    button: str, modal: type, kind: str,
) -> None:
    """Each change button, clicked, asks for its confirmation, as its key does (they used to do nothing)."""
    server = sealed_bao if button == "#unseal" else unsealed_bao
    app = vault_app(tmp_path / "state", server.addr)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _vault_screen(pilot, VaultState.SEALED if server is sealed_bao else VaultState.UNSEALED)
        await pilot.click(button)
        await wait_for(pilot, lambda: isinstance(app.screen, modal), what=modal.__name__)
        assert app.screen.request.kind == kind  # type: ignore[attr-defined]
        await leave(pilot, "escape", modal, "vault-op")
        assert app.screen is screen
    assert permits == []


async def test_vault_initialise_and_refresh_buttons(bao: BaoServer, tmp_path: Path) -> None:
    app = vault_app(tmp_path / "state", bao.addr, interval=600)  # no reading but the first and the asked
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _vault_screen(pilot, VaultState.UNINITIALISED)
        readings = screen.badge.readings
        await pilot.click("#refresh")
        await wait_for(pilot, lambda: screen.badge.readings > readings, what="a reading asked by Refresh")
        await pilot.click("#init")
        await wait_screen(pilot, VaultInitScreen, "#start")
        await pilot.click("#cancel")
        await wait_for(pilot, lambda: app.screen is screen, what="back on the Vault screen")
    assert _vault_state(bao.addr) is VaultState.UNINITIALISED


async def test_step_screen_gate_confirmed_runs_the_command(
    sandbox: Any, settings: Settings, permits: list[Permit]
) -> None:
    """The control for the step tests above: confirmed, the same step does write the marker."""
    marker = Path(f"/tmp/factory-gate-{uuid.uuid4().hex[:10]}")
    try:
        app = FactoryApp(settings=settings, lab=load_lab(sandbox.inventory), inventory=sandbox.inventory)
        async with app.run_test(size=(140, 45)) as pilot:
            walk = app.runbooks.start(_book(marker, destructive=False), reason="", operator="tester")
            await app.push_screen(StepScreen(walk, "touch"))
            await pilot.pause()
            await pilot.press("x")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), what="ConfirmModal")
            await pilot.pause()
            await pilot.click("#confirm")
            await settled(pilot, "step-action")
        assert len(permits) == 1 and permits[0].used
        assert marker.exists()
    finally:
        marker.unlink(missing_ok=True)
