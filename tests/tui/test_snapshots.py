"""Pictures of every screen, compared with the SVGs under ``__snapshots__/test_snapshots/``.

A layout regression shows as a picture: the failing test's report (``snapshot_report.html``) puts the
accepted SVG beside the new one. After a change that alters a screen on purpose, regenerate and review:

    .venv/bin/python -m pytest tests/tui/test_snapshots.py --snapshot-update

Nothing here needs a live service: health readings, Vault's status, a finished run's recorded events
(``tests/data/runs``) and a plan (a ``show -json`` document of the real binary in ``tests/data/tofu``) are
fixture data. Everything that varies between runs and machines is frozen: the clock, the time zone, ids,
paths shown on screen, cursor blink and animations.
"""

from __future__ import annotations

import inspect
import json
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from actions.ansible.catalog import Playbook
from actions.ansible.gate import build_request
from actions.ansible.models import RunSpec
from actions.config import Settings
from actions.health.models import (
    BackupFile,
    Container,
    Disk,
    HostState,
    Node,
    Reading,
    Sample,
    Service,
    Snapshot,
)
from actions.health.parse import parse_temp, parse_throttled
from actions.journal import RunRecord, open_journal
from actions.lab import Host, Lab
from actions.tofu import TofuAdapter
from actions.tofu.roots import Root
from actions.tofu.store import PlanRecord, save_record
from actions.tofu.summary import PlanSummary, summarize
from actions.vault import VaultStatus, VaultTarget
from tests.conftest import make_settings
from tui.app import FactoryApp
from tui.services.health_feed import HealthFeed
from tui.services.vault_feed import VaultFeed

SIZE = (100, 32)
DATA = Path(__file__).resolve().parent.parent / "data"
# 2026-11-24 09:46:40 UTC: the time every screen is drawn at.
NOW = 1_795_513_600.0
VAULT_ADDR = "http://127.0.0.1:8200"
INVENTORY = Path("/srv/factory/ansible/inventory/sandbox.yml")
# Nothing listens on port 1: a check that does reach for a host is refused at once, the same way each run.
LAB = Lab(name="sandbox", kind="sandbox", inventory=INVENTORY,  # type: ignore[arg-type]
          hosts=[Host(name=f"pi{i}", address=f"127.0.1.{i}", port=1) for i in (1, 2, 3)])


# -- the frozen world -----------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Wall clock, time zone, random ids and this machine's name fixed; Textual's timers run on the monotonic
    clock, untouched."""
    real_localtime, real_strftime, real_gmtime = time.localtime, time.strftime, time.gmtime
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setattr(time, "time", lambda: NOW)
    monkeypatch.setattr(time, "localtime", lambda secs=None: real_localtime(NOW if secs is None else secs))
    monkeypatch.setattr(time, "gmtime", lambda secs=None: real_gmtime(NOW if secs is None else secs))
    monkeypatch.setattr(time, "strftime",
                        lambda fmt, t=None: real_strftime(fmt, real_localtime(NOW) if t is None else t))
    ids = count(1)
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=next(ids)))
    monkeypatch.setattr(socket, "gethostname", lambda: "console")

    class FrozenDatetime(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> FrozenDatetime:
            return cls.fromtimestamp(NOW, tz)

    monkeypatch.setattr("actions.tofu.store.datetime", FrozenDatetime)
    monkeypatch.setattr("actions.tofu.adapter.datetime", FrozenDatetime)
    yield
    monkeypatch.undo()
    time.tzset()


# -- fixture data: health readings and Vault statuses ---------------------------------------------------

def _history(base_load: float, base_temp: float | None) -> list[Sample]:
    """Ten minutes of samples, a gentle wave, so the sparklines have a shape."""
    wave = [0, 1, 3, 2, 4, 6, 5, 3, 2, 1] * 3
    return [Sample(t=NOW - 20 * (len(wave) - i), load1=base_load + w / 10,
                   temp_c=None if base_temp is None else base_temp + w / 2) for i, w in enumerate(wave)]


def _pi_reading(load: tuple[float, float, float], temp_file: str, throttled_file: str, **extra: Any) -> Reading:
    temp = parse_temp((DATA / "health" / temp_file).read_text())
    assert temp is not None
    return Reading(
        taken_at=NOW - 1, rtt_ms=3.4, probe_ms=6.1, clock_offset_s=0.012, uptime_s=3 * 86400 + 4 * 3600 + 120,
        load=load, cores=4, temp_c=temp[0], temp_source=temp[1],
        throttle=parse_throttled((DATA / "health" / throttled_file).read_text()),
        mem_total_kb=8_046_892, mem_available_kb=5_112_340, slow_at=NOW - 8,
        disks=[Disk(path="/", mount="/", size_kb=61_255_492, used_kb=19_204_112, available_kb=39_525_180)],
        ntp_synced=True, services=[Service(name="k3s", active="active", sub="running")],
        **extra,
    )


def health_snapshot() -> Snapshot:
    """pi1 green, pi2 warm with a throttle since boot and the backups, pi3 down for ten minutes."""
    pi1 = _pi_reading((0.42, 0.35, 0.30), "pi4_measure_temp.txt", "pi4_get_throttled_ok.txt",
                      containers=[Container(name="pihole", state="running", status="Up 3 days", image="pihole")],
                      kube_at=NOW - 30, nodes=[Node(name=f"pi{i}", ready=True) for i in (1, 2, 3)])
    backups = [
        BackupFile(path="/mnt/backups/postgres/gitea/gitea-20261118T023000Z.dump", mtime=NOW - 7.3 * 3600,
                   size=2_097_152),
        BackupFile(path="/mnt/backups/gitea/gitea-20261117T030000Z.tar.gz", mtime=NOW - 30.8 * 3600,
                   size=48_550_000),
    ]
    pi2 = _pi_reading((2.85, 2.10, 1.64), "pi5_measure_temp.txt", "pi5_get_throttled_since_boot.txt",
                      backup_root="/mnt/backups", backups=backups)
    return Snapshot(taken_at=NOW - 1, interval=2.0, hosts=[
        HostState(name="pi1", address="127.0.1.1", port=1, connection="up", since=NOW - 3600, reading=pi1,
                  history=_history(0.3, 45.0)),
        HostState(name="pi2", address="127.0.1.2", port=1, connection="up", since=NOW - 3600, reading=pi2,
                  history=_history(2.2, 61.0)),
        HostState(name="pi3", address="127.0.1.3", port=1, connection="unreachable", since=NOW - 600,
                  last_error="connect to 127.0.1.3:22: [Errno 113] No route to host", history=[]),
    ])


VAULT_STATES: dict[str, VaultStatus] = {
    "sealed": VaultStatus(addr=VAULT_ADDR, read_at=NOW, initialized=True, sealed=True, threshold=3, shares=5,
                          progress=1, version="2.2.0", seal_type="shamir", storage_type="raft"),
    "unsealed": VaultStatus(addr=VAULT_ADDR, read_at=NOW, initialized=True, sealed=False, threshold=3, shares=5,
                            version="2.2.0", seal_type="shamir", storage_type="raft", standby=False,
                            ha_enabled=True, leader_address="https://pi1:8201", leader_is_self=True,
                            cluster_name="vault-cluster-factory"),
    "uninitialised": VaultStatus(addr=VAULT_ADDR, read_at=NOW, initialized=False, sealed=True,
                                 version="2.2.0", seal_type="shamir", storage_type="raft"),
    "unreachable": VaultStatus(addr=VAULT_ADDR, read_at=NOW,
                               error="connection refused (is Vault running at http://127.0.0.1:8200?)"),
}


class FixedHealthFeed(HealthFeed):
    """The app's health feed, handing out one fixed snapshot instead of polling the hosts."""

    def __init__(self, app: FactoryApp, settings: Settings, lab: Lab, snap: Snapshot) -> None:
        super().__init__(app, settings, lab)
        self.fixed = snap

    def start(self) -> None:
        self.publish(self.fixed)

    def refresh_now(self) -> None:
        self.publish(self.fixed)


class FixedVaultFeed(VaultFeed):
    """The app's Vault feed with one fixed reading instead of polling Vault."""

    def __init__(self, app: FactoryApp, status: VaultStatus) -> None:
        super().__init__(app, VaultTarget(addr=VAULT_ADDR, addr_source="$VAULT_ADDR"), interval=2.0)
        self.fixed = status

    def start(self) -> None:
        if self.readings == 0:  # subscribing starts the feed again: one reading is all there is
            self.publish(self.fixed)

    def refresh_now(self) -> None:
        self.publish(self.fixed)


class SnapApp(FactoryApp):
    """The real app over fixture feeds, with animations off."""

    CSS_PATH = Path(inspect.getfile(FactoryApp)).with_name("app.tcss")  # relative paths are the test's

    def __init__(self, settings: Settings, vault: VaultStatus, mode: str = "health") -> None:
        # Opened on the screen to draw, as a key would switch to it: composing the health screen first
        # would only cost time.
        self.DEFAULT_MODE = mode  # type: ignore[misc]
        super().__init__(settings=settings, lab=LAB, inventory=INVENTORY)
        self.animation_level = "none"
        self.health = FixedHealthFeed(self, settings, LAB, health_snapshot())
        self.vault_feed = FixedVaultFeed(self, vault)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "state", operator="ana", health={"interval": 2.0})


@pytest.fixture
def app(settings: Settings) -> SnapApp:
    return SnapApp(settings, VAULT_STATES["sealed"])


async def settle(pilot: Pilot[Any]) -> None:
    """Let workers end and the screen repaint; then hold every cursor steady."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    await pilot.pause()


async def until(pilot: Pilot[Any], what: str, predicate: Callable[[], object], seconds: float = 20) -> None:
    """Pause until ``predicate`` holds (work done by workers and messages, not by the clock)."""
    for _ in range(int(seconds * 20)):
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"never happened: {what}")


Steps = Callable[[Pilot[Any]], Awaitable[None]]


def shoot(snap_compare: Callable[..., bool], app: FactoryApp, steps: Steps | None = None,
          press: tuple[str, ...] = ()) -> None:
    async def before(pilot: Pilot[Any]) -> None:
        if steps is not None:
            await steps(pilot)
        await settle(pilot)

    assert snap_compare(app, press=press, terminal_size=SIZE, run_before=before)


# -- the screens ----------------------------------------------------------------------------------------

def test_health(snap_compare: Callable[..., bool], app: SnapApp) -> None:
    shoot(snap_compare, app)


def test_host_detail(snap_compare: Callable[..., bool], app: SnapApp) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        from tui.screens.host_detail import HostDetailScreen

        await pilot.app.push_screen(HostDetailScreen("pi2"))

    shoot(snap_compare, app, steps)


def test_runbooks(snap_compare: Callable[..., bool], settings: Settings) -> None:
    shoot(snap_compare, SnapApp(settings, VAULT_STATES["sealed"], mode="runbooks"))


async def _open_checklist(pilot: Pilot[Any]) -> None:
    from tui.modals.start_session import StartSessionModal
    from tui.screens.checklist import ChecklistScreen

    pilot.app.screen.open_book("recovery")  # type: ignore[attr-defined]
    await until(pilot, "the start question", lambda: isinstance(pilot.app.screen, StartSessionModal))
    await pilot.press(*"power cut", "enter")
    await until(pilot, "the checklist", lambda: isinstance(pilot.app.screen, ChecklistScreen))
    await pilot.app.workers.wait_for_complete()


def test_checklist(snap_compare: Callable[..., bool], settings: Settings) -> None:
    shoot(snap_compare, SnapApp(settings, VAULT_STATES["sealed"], mode="runbooks"), _open_checklist)


def test_step(snap_compare: Callable[..., bool], settings: Settings) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        from tui.screens.step import StepScreen

        await _open_checklist(pilot)
        await pilot.press("down", "enter")
        await until(pilot, "the step", lambda: isinstance(pilot.app.screen, StepScreen))

    shoot(snap_compare, SnapApp(settings, VAULT_STATES["sealed"], mode="runbooks"), steps)


def test_runs_with_a_finished_run(snap_compare: Callable[..., bool], settings: Settings) -> None:
    """The history lists a finished check run; its recorded events replay into a tab."""
    journal = open_journal(settings.state_dir)
    record = RunRecord(
        id="20261118-093000-5ffaf9", playbook="hello", playbook_path="tests/data/playbooks/hello.yml",
        inventory=str(INVENTORY), lab="sandbox", hosts=["local1", "local2"], check=True,
        command="ansible-playbook -i tests/data/playbooks/local_inventory.yml --check tests/data/playbooks/hello.yml",
        operator="ana", started_at=NOW - 16 * 60, status="running", artifacts=str(DATA / "runs" / "hello-check"),
    )
    journal.start_run(record)
    journal.finish_run(record.id, status="ok", rc=0, message="", finished_at=record.started_at + 8.1,
                       recap={h: {"ok": 2, "changed": 0, "unreachable": 0, "failures": 0, "skipped": 1,
                                  "rescued": 0, "ignored": 0} for h in ("local1", "local2")})
    journal.close()
    app = SnapApp(settings, VAULT_STATES["sealed"], mode="runs")

    async def steps(pilot: Pilot[Any]) -> None:
        from tui.screens.runs import RunsScreen
        from tui.widgets.output_view import OutputView
        from tui.widgets.run_pane import RunPane

        screen = pilot.app.screen
        assert isinstance(screen, RunsScreen)
        finished = screen.journal.get(record.id) if screen.journal else None
        assert finished is not None
        screen.open_replay(finished)
        await until(pilot, "the replay", lambda: any(p.status == "ok" for p in screen.query(RunPane)))
        pane = screen.query_one(RunPane)
        view = pane.query_one(OutputView)
        # The recap takes rows from the log as it shows: the log, following, moves to its new end.
        for _ in range(2):
            await until(pilot, "the log at its end, the recap shown",
                        lambda: pane.query_one("#run-recap").has_class("-on") and view.scroll_y == view.max_scroll_y)
            await pilot.pause()

    shoot(snap_compare, app, steps)


def test_plans_with_a_summary(snap_compare: Callable[..., bool], settings: Settings,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The saved plan of ``iac``, four minutes old, summarised from a document of the real binary."""
    summary = summarize(json.loads((DATA / "tofu" / "plans" / "counted.json").read_text()))
    record = PlanRecord(root="iac", status="changes", created_at=datetime.fromtimestamp(NOW - 240, UTC),
                        binary="terraform", counts=summary.counts, destructive=summary.counts.destroy > 0)
    save_record(settings, record)

    async def saved_summary(self: TofuAdapter, root: Root) -> tuple[PlanRecord, PlanSummary]:
        return record, summary

    monkeypatch.setattr(TofuAdapter, "saved_summary", saved_summary)
    shoot(snap_compare, SnapApp(settings, VAULT_STATES["sealed"], mode="plans"))


@pytest.mark.parametrize("state", list(VAULT_STATES))
def test_vault(snap_compare: Callable[..., bool], settings: Settings, state: str) -> None:
    shoot(snap_compare, SnapApp(settings, VAULT_STATES[state], mode="vault"))


def test_help(snap_compare: Callable[..., bool], app: SnapApp) -> None:
    shoot(snap_compare, app, press=("question_mark",))


def test_command_palette(snap_compare: Callable[..., bool], app: SnapApp) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        from textual.command import CommandList, CommandPalette

        await pilot.press("ctrl+p")
        await until(pilot, "the palette", lambda: isinstance(pilot.app.screen, CommandPalette))
        await pilot.press(*"runbook")
        palette = pilot.app.screen
        await until(pilot, "the matches", lambda: palette.query_one(CommandList).option_count > 0)

    shoot(snap_compare, app, steps)


def test_quit_modal(snap_compare: Callable[..., bool], app: SnapApp) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        from tui.modals.quit import QuitModal

        await pilot.app.push_screen(QuitModal(["01_system [REAL] · running", "hello [check] · running"]))

    shoot(snap_compare, app, steps)


def _playbook(name: str, title: str, destructive: bool) -> Playbook:
    return Playbook(path=Path(f"ansible/playbooks/{name}.yml"), name=Path(name).name, title=title,
                    destructive=destructive, confirm_name="pi2" if destructive else "")


def test_gate_confirm(snap_compare: Callable[..., bool], app: SnapApp) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        from tui.modals.confirm import ConfirmModal

        spec = RunSpec(playbook="01_system", inventory=INVENTORY, limit="pi2", tags=("ntp", "ssh"))
        request = build_request(spec, _playbook("01_system", "system baseline", False), ["pi2"], None,
                                "ansible-playbook")
        await pilot.app.push_screen(ConfirmModal(request))

    shoot(snap_compare, app, steps)


def test_gate_typed(snap_compare: Callable[..., bool], app: SnapApp) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        from tui.modals.confirm import TypedConfirmModal

        spec = RunSpec(playbook="recover/postgres_restore", inventory=INVENTORY, limit="pi2",
                       extra_vars=(("restore_db", "gitea"),))
        request = build_request(spec, _playbook("recover/postgres_restore", "restore a PostgreSQL database", True),
                                ["pi2"], None, "ansible-playbook")
        await pilot.app.push_screen(TypedConfirmModal(request))
        await pilot.press(*"pi")

    shoot(snap_compare, app, steps)


def test_the_readme_s_screenshot_is_the_health_snapshot() -> None:
    """The README shows the health screen as it is drawn now: after ``--snapshot-update`` changes it, copy
    ``test_health.svg`` to ``docs/screenshot.svg``."""
    root = Path(__file__).resolve().parents[2]
    drawn = Path(__file__).parent / "__snapshots__" / "test_snapshots" / "test_health.svg"
    assert (root / "docs" / "screenshot.svg").read_bytes() == drawn.read_bytes()
