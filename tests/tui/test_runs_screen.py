"""The runs screen with Pilot: a real check-mode run (local connection) streams into a tab, then replays."""

from __future__ import annotations

import asyncio
import gc
import re
import subprocess
import threading
import uuid
from pathlib import Path

from textual.widgets import DataTable, Input, Static, TabbedContent

from actions.ansible import RunSpec, RunStatus
from actions.config import Settings
from actions.lab import load_lab
from tui import gc_pauses
from tui.app import FactoryApp
from tui.modals.confirm import ConfirmModal
from tui.screens.runs import RunsScreen
from tui.widgets.output_view import OutputView
from tui.widgets.run_pane import RunPane

DATA = Path(__file__).resolve().parent.parent / "data" / "playbooks"
INVENTORY = DATA / "local_inventory.yml"


async def _wait(pilot, predicate, timeout: float = 90.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "timed out"
        await pilot.pause(0.1)


def _sleepers(seconds: str) -> list[str]:
    out = subprocess.run(["pgrep", "-f", f"sleep {seconds}"], capture_output=True, text=True, check=False)
    return out.stdout.split()


async def _start_sleep_run(app: FactoryApp, pilot, seconds: str) -> tuple[RunsScreen, RunPane]:  # type: ignore[no-untyped-def]
    """A real run of sleep.yml on local1, confirmed at the gate, with its command sleeping on the host."""
    await pilot.press("3")
    screen = app.screen
    assert isinstance(screen, RunsScreen)
    spec = RunSpec(playbook=str(DATA / "sleep.yml"), inventory=INVENTORY, limit="local1",
                   extra_vars=(("sleep_seconds", seconds),))
    screen.start_run(spec)
    await _wait(pilot, lambda: isinstance(app.screen, ConfirmModal))
    await pilot.pause(0.3)
    await pilot.click("#confirm")
    await _wait(pilot, lambda: len(screen.query(RunPane)) == 1)
    await _wait(pilot, lambda: bool(_sleepers(seconds)))
    return screen, screen.query_one(RunPane)


async def test_check_run_streams_into_a_tab_and_replays(settings: Settings) -> None:
    app = FactoryApp(settings=settings, lab=load_lab(INVENTORY), inventory=INVENTORY)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("3")
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        screen.start_run(RunSpec(playbook=str(DATA / "hello.yml"), inventory=INVENTORY, check=True))
        await _wait(pilot, lambda: len(screen.query(RunPane)) == 1)
        pane = screen.query_one(RunPane)
        await _wait(pilot, lambda: not pane.status.ongoing)
        assert pane.status is RunStatus.OK
        await pilot.pause()
        tabs = screen.query_one("#runs-tabs", TabbedContent)
        label = str(tabs.get_tab(pane.tab_id).label)
        assert label.startswith("hello · ok · ")
        # The task list has one row per task with a mark for each host.
        tasks = pane.query_one("#run-tasks", DataTable)
        assert tasks.row_count == 3
        assert str(tasks.get_cell_at((1, 1))) == "changed" or str(tasks.get_cell_at((1, 1))) == "skip"
        recap = pane.query_one("#run-recap", DataTable)
        assert recap.row_count == 2 and recap.has_class("-on")
        assert any("hello from local1" in line for line in pane.lines)

        # The filter hides the other lines and says so.
        await pilot.press("slash")
        await pilot.press(*"local2")
        await pilot.press("enter")
        view = pane.query_one("#run-log", OutputView)
        assert pane.query_one("#run-cue").has_class("-on")
        assert 0 < view.shown_count < len(pane.lines)
        shown = "\n".join(strip.text for strip in view.render_lines(view.region.reset_offset)).strip()
        assert "local2" in shown and "local1" not in shown
        await pilot.press("escape")
        assert not pane.query_one("#run-cue").has_class("-on")
        assert view.shown_count == len(pane.lines)

        # History lists the run; Enter replays it in a new tab with the same lines and recap.
        tabs.active = "history"
        await pilot.pause()
        history = screen.query_one("#history-table", DataTable)
        assert history.row_count == 1
        history.focus()
        await _wait(pilot, lambda: history.has_focus)
        await pilot.press("enter")
        await _wait(pilot, lambda: len(screen.query(RunPane)) == 2)
        replayed = next(p for p in screen.query(RunPane) if p.replay)
        await _wait(pilot, lambda: replayed.status is not RunStatus.RUNNING)
        assert replayed.status is RunStatus.OK
        assert replayed.lines == pane.lines, (replayed.lines, pane.lines)
        assert replayed.query_one("#run-tasks", DataTable).row_count == 3


async def test_real_run_goes_through_the_gate(settings: Settings) -> None:
    """Never checked: the modal's focused default is "check mode first"; then a confirmed real run."""

    app = FactoryApp(settings=settings, lab=load_lab(INVENTORY), inventory=INVENTORY)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("3")
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        spec = RunSpec(playbook=str(DATA / "hello.yml"), inventory=INVENTORY, limit="local1")
        screen.start_run(spec)
        await _wait(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.pause(0.3)
        modal = app.screen
        text = "\n".join(modal.request.describe())
        assert "last check: never checked" in text and "--limit local1" in text and "targets: local1" in text
        assert app.focused is not None and app.focused.id == "check"
        await pilot.press("enter")  # the default: a dry run instead
        await _wait(pilot, lambda: len(screen.query(RunPane)) == 1)
        first = screen.query_one(RunPane)
        await _wait(pilot, lambda: not first.status.ongoing)
        assert first.mode == "check" and first.status is RunStatus.OK

        screen.start_run(spec)
        await _wait(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.pause(0.3)
        text = "\n".join(app.screen.request.describe())
        assert "last check: ok" in text
        await pilot.click("#confirm")
        await _wait(pilot, lambda: len(screen.query(RunPane)) == 2)
        second = next(p for p in screen.query(RunPane) if p is not first)
        await _wait(pilot, lambda: not second.status.ongoing)
        assert second.mode == "REAL" and second.status is RunStatus.OK
        assert second.result is not None and second.result.recap["local1"].changed == 1


async def test_cancel_from_the_pane(settings: Settings) -> None:
    """`x` in a running pane stops the playbook and its command; the tab shows "cancelled"."""
    seconds = str(5000 + uuid.uuid4().int % 900)
    gc_threshold = gc.get_threshold()
    app = FactoryApp(settings=settings, lab=load_lab(INVENTORY), inventory=INVENTORY)
    async with app.run_test(size=(140, 45)) as pilot:
        screen, pane = await _start_sleep_run(app, pilot, seconds)
        tabs = screen.query_one("#runs-tabs", TabbedContent)
        # While it runs, the tab shows the status (the pane's header counts the seconds).
        await _wait(pilot, lambda: str(tabs.get_tab(pane.tab_id).label) == "sleep · running")
        header = pane.query_one("#run-header", Static)
        assert re.search(r"running  [\dhms]+  ·", str(header.render()))
        # ... and full garbage collections wait until it ends.
        assert gc.get_threshold()[2] == gc_threshold[2] * gc_pauses.STREAMING
        pane.query_one("#run-log").focus()
        await pilot.press("x")
        await _wait(pilot, lambda: pane.status is RunStatus.CANCELLED, timeout=30)
        await _wait(pilot, lambda: not _sleepers(seconds), timeout=5)
        await pilot.pause()
        assert re.fullmatch(r"sleep · cancelled · \d+s", str(tabs.get_tab(pane.tab_id).label))
        # Full collections are allowed again just after the frame that shows the outcome.
        await _wait(pilot, lambda: gc.get_threshold()[2] == gc_threshold[2] * gc_pauses.SETTLED, timeout=5)


async def test_enter_on_a_run_still_going_shows_its_live_tab(settings: Settings) -> None:
    app = FactoryApp(settings=settings, lab=load_lab(INVENTORY), inventory=INVENTORY)
    seconds = f"31.{uuid.uuid4().int % 10000:04d}"
    async with app.run_test(size=(140, 45)) as pilot:
        screen, pane = await _start_sleep_run(app, pilot, seconds)
        assert pane.run_id
        tabs = screen.query_one("#runs-tabs", TabbedContent)
        tabs.active = "history"
        screen.action_refresh_history()
        await pilot.pause()
        history = screen.query_one("#history-table", DataTable)
        assert history.row_count == 1  # journalled as running, under the id the pane knows
        history.focus()
        await _wait(pilot, lambda: history.has_focus)
        await pilot.press("enter")
        await _wait(pilot, lambda: tabs.active == pane.tab_id)
        await pilot.pause(0.3)
        # No replay of half a run: the live pane is the one in front.
        assert [p for p in screen.query(RunPane) if p.replay] == []
        assert pane.status is RunStatus.RUNNING
        pane.action_cancel_run()
        await _wait(pilot, lambda: not pane.status.ongoing, timeout=30)


async def test_an_app_that_ends_with_a_run_going_cancels_it(settings: Settings) -> None:
    """Not through the quit dialog (an error, a test that failed part-way): the app still cancels its runs,
    so the process does not live on with the playbook until the playbook ends."""
    seconds = str(5000 + uuid.uuid4().int % 900)
    app = FactoryApp(settings=settings, lab=load_lab(INVENTORY), inventory=INVENTORY)
    async with app.run_test(size=(140, 45)) as pilot:
        _screen, pane = await _start_sleep_run(app, pilot, seconds)
        assert pane in app.live_runs
        app.exit()
    for _ in range(300):
        if not _sleepers(seconds):
            break
        await asyncio.sleep(0.1)
    assert _sleepers(seconds) == [], "the playbook's command outlived the app"


async def test_a_busy_host_refuses_the_run_in_its_pane(settings: Settings) -> None:
    """A host held by another run: the pane says the run was refused and by whom; nothing ran or was
    journalled, and the app holds no run as going."""
    from actions.journal import open_journal
    from actions.locks import host_locks

    app = FactoryApp(settings=settings, lab=load_lab(INVENTORY), inventory=INVENTORY)
    with host_locks(settings.state_dir, ["local1"], "run 42 of backup by bo"):
        async with app.run_test(size=(140, 45)) as pilot:
            await pilot.press("3")
            screen = app.screen
            assert isinstance(screen, RunsScreen)
            screen.start_run(RunSpec(playbook=str(DATA / "hello.yml"), inventory=INVENTORY, limit="local1",
                                     check=True))
            await _wait(pilot, lambda: len(screen.query(RunPane)) == 1)
            pane = screen.query_one(RunPane)
            await _wait(pilot, lambda: not pane.status.ongoing)
            await pilot.pause()
            assert pane.status is RunStatus.REFUSED and not app.live_runs
            message = pane.query_one("#run-message", Static)
            assert message.has_class("-error") and "run 42 of backup by bo" in str(message.render())
            label = str(screen.query_one("#runs-tabs", TabbedContent).get_tab(pane.tab_id).label)
            assert label.startswith("hello · refused · ")
            assert pane.lines == []
    assert open_journal(settings.state_dir).runs() == []


async def test_quit_names_the_runs_still_going_and_cancels_them_if_asked(settings: Settings) -> None:
    """`q` with a run going asks first (Stay is the default); quitting anyway cancels the run, which the
    journal records, and leaves no playbook process behind (the app used to hang until the playbook ended)."""
    from actions.journal import open_journal
    from tui.modals.quit import QuitModal

    seconds = str(6000 + uuid.uuid4().int % 900)
    app = FactoryApp(settings=settings, lab=load_lab(INVENTORY), inventory=INVENTORY)
    async with app.run_test(size=(140, 45)) as pilot:
        _screen, pane = await _start_sleep_run(app, pilot, seconds)
        assert app.live_runs == {pane}

        await pilot.press("q")
        await _wait(pilot, lambda: isinstance(app.screen, QuitModal))
        assert "sleep [REAL] · running" in str(app.screen.query_one("#quit-runs", Static).render())
        await pilot.press("enter")  # Stay has the focus
        await _wait(pilot, lambda: not isinstance(app.screen, QuitModal))
        assert pane.status is RunStatus.RUNNING and _sleepers(seconds)

        await pilot.press("q")
        await _wait(pilot, lambda: isinstance(app.screen, QuitModal))
        await pilot.click("#quit")
        await _wait(pilot, lambda: app._exit, timeout=30)
        assert pane.status is RunStatus.CANCELLED and not app.live_runs
    await asyncio.sleep(0)
    assert not _sleepers(seconds)
    [record] = open_journal(settings.state_dir).runs()
    assert record.status == "cancelled"


async def test_quit_with_nothing_going_leaves_at_once(settings: Settings) -> None:
    app = FactoryApp(settings=settings, lab=load_lab(INVENTORY), inventory=INVENTORY)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("q")
        await _wait(pilot, lambda: app._exit, timeout=5)


async def test_the_run_form_reads_extra_vars_as_the_cli_does(settings: Settings) -> None:
    """The form's -e line goes through the one KEY=VALUE reader: a word that is no pair is one message and
    starts nothing; quoted values reach the playbook as one value."""
    app = FactoryApp(settings=settings, lab=load_lab(INVENTORY), inventory=INVENTORY)

    async def submit(screen: RunsScreen, pilot, extra: str) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("n")
        await _wait(pilot, lambda: app.screen is not screen)
        app.screen.query_one("#playbook", Input).value = str(DATA / "echo_vars.yml")
        app.screen.query_one("#limit", Input).value = "local1"
        app.screen.query_one("#extra", Input).value = extra
        await pilot.click("#start")
        await _wait(pilot, lambda: app.screen is screen)
        await pilot.pause()

    async with app.run_test(size=(140, 45), notifications=True) as pilot:
        await pilot.press("3")
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        for extra in ("msg=a stray", 'msg="open'):
            await submit(screen, pilot, extra)
        toasts = "\n".join(str(t.render()) for t in app.screen.query("Toast"))
        assert "'stray': expected KEY=VALUE" in toasts and "No closing quotation" in toasts, toasts
        assert not screen.query(RunPane) and not app.open_journal().runs()
        await submit(screen, pilot, 'msg="two words" db=gitea')  # check mode is the form's default: no gate
        await _wait(pilot, lambda: len(screen.query(RunPane)) == 1)
        pane = screen.query_one(RunPane)
        await _wait(pilot, lambda: not pane.status.ongoing)
        assert pane.status is RunStatus.OK
        assert any("msg=[two words] db=[gitea]" in line for line in pane.lines), pane.lines


async def test_a_run_is_prepared_off_the_ui_thread(settings: Settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Resolving a playbook reads and parses its files: the runs screen does it on a thread, for the run
    and again for the check run taken at the gate instead, never on the loop that draws the screen."""
    import tui.screens.runs

    threads: list[int] = []
    real_prepare = tui.screens.runs.prepare

    def recording(*args, **kwargs):  # type: ignore[no-untyped-def]
        threads.append(threading.get_ident())
        return real_prepare(*args, **kwargs)

    monkeypatch.setattr(tui.screens.runs, "prepare", recording)
    app = FactoryApp(settings=settings, lab=load_lab(INVENTORY), inventory=INVENTORY)
    async with app.run_test(size=(140, 45)) as pilot:
        ui_thread = threading.get_ident()
        await pilot.press("3")
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        screen.start_run(RunSpec(playbook=str(DATA / "hello.yml"), inventory=INVENTORY, limit="local1"))
        await _wait(pilot, lambda: isinstance(app.screen, ConfirmModal))
        # Pushed is not yet drawn: a click lands where the button is once the modal has been laid out.
        await _wait(pilot, lambda: any(b.region.width for b in app.screen.query("#check")))
        await pilot.click("#check")  # a check run instead: prepared again
        await _wait(pilot, lambda: len(screen.query(RunPane)) == 1)
        pane = screen.query_one(RunPane)
        await _wait(pilot, lambda: not pane.status.ongoing)
        assert pane.mode == "check" and pane.status is RunStatus.OK
    assert len(threads) == 2 and ui_thread not in threads, (threads, ui_thread)


async def test_a_run_is_prepared_without_reading_the_inventory_in_the_app(settings: Settings, monkeypatch,  # type: ignore[no-untyped-def]
                                                                          tmp_path: Path) -> None:
    """Ansible cannot be imported under Textual (its colour setup asks for stdout's file descriptor, which
    Textual's stand-in has not): a run on the app's inventory takes the app's lab, a run on another one has
    it read in a child; the app's process reads no inventory either way."""
    import actions.ansible.runner

    def in_process(path: Path) -> None:
        raise AssertionError(f"the app read {path} in its own process")

    monkeypatch.setattr(actions.ansible.runner, "load_lab", in_process)
    other = tmp_path / "other.yml"
    other.write_text(INVENTORY.read_text())
    app = FactoryApp(settings=settings, lab=load_lab(INVENTORY), inventory=INVENTORY)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("3")
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        for n, inventory in enumerate((INVENTORY, other), start=1):
            if inventory == other:
                screen.start_run(RunSpec(playbook=str(DATA / "hello.yml"), inventory=other, check=True))
            else:
                await pilot.press("n")
                await _wait(pilot, lambda: app.screen is not screen)
                app.screen.query_one("#playbook", Input).value = str(DATA / "hello.yml")
                await pilot.click("#start")
            await _wait(pilot, lambda count=n: len(screen.query(RunPane)) == count)  # type: ignore[misc]
            last = list(screen.query(RunPane))[-1]
            await _wait(pilot, lambda pane=last: not pane.status.ongoing)  # type: ignore[misc]
            assert last.status is RunStatus.OK, last.query_one("#run-message", Static).render()


async def test_a_checklist_step_without_the_apps_lab_is_prepared_against_one_read_in_a_child(  # type: ignore[no-untyped-def]
        settings: Settings, monkeypatch) -> None:
    """A checklist step runs on the app's inventory; when the app holds no lab for it (none read yet, or
    its reading failed), the step's run is prepared against a lab read in a child, as a run from the runs
    screen is, never by Ansible in the app's process."""
    import actions.ansible.runner
    from tui.step_actions import _Carrier

    def in_process(path: Path) -> None:
        raise AssertionError(f"the app read {path} in its own process")

    monkeypatch.setattr(actions.ansible.runner, "load_lab", in_process)
    app = FactoryApp(settings=settings, lab=None, lab_error="not read yet", inventory=INVENTORY)
    async with app.run_test(size=(140, 45)):
        assert app.lab is None
        prepared = await _Carrier(app.screen).prepare(  # type: ignore[arg-type]
            RunSpec(playbook=str(DATA / "hello.yml"), inventory=INVENTORY, check=True))
        assert sorted(prepared.hosts) == sorted(load_lab(INVENTORY).host_names()), prepared.hosts
