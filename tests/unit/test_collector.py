"""When the collector runs: held off while a process starts, back on when released or when its time is up,
never turned on against someone else's choice, and nothing left held by the command line."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from actions import collector
from tests.waiting import wait_for
from tui import gc_pauses
from tui.cli import main


@pytest.fixture(autouse=True)
def collecting() -> Iterator[None]:
    """Each test starts with the collector on and nothing held, and leaves it so."""
    collector.release()
    gc.enable()
    yield
    collector.release()
    gc.enable()


def test_hold_turns_it_off_and_release_back_on_any_number_of_times() -> None:
    collector.hold()
    assert not gc.isenabled() and collector.holding()
    collector.hold()  # a second hold changes nothing (and starts no second timer)
    collector.release()
    assert gc.isenabled() and not collector.holding()
    collector.release()
    assert gc.isenabled()


def test_a_collector_someone_else_turned_off_stays_off() -> None:
    gc.disable()
    collector.hold()
    assert not collector.holding()
    collector.release()
    assert not gc.isenabled()


def test_the_timer_releases_it_when_the_start_never_ends() -> None:
    collector.hold(limit=0.05)
    assert not gc.isenabled()
    asyncio.run(wait_for(gc.isenabled, 10, "the timer to turn the collector back on"))
    assert not collector.holding()


def test_the_apps_settle_releases_it() -> None:
    collector.hold()
    gc_pauses.settle()
    try:
        assert gc.isenabled() and not collector.holding()
    finally:
        gc_pauses.restore()


def test_leaving_puts_what_the_process_holds_out_of_reach() -> None:
    collector.leaving()
    try:
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_the_command_line_gives_it_back_whatever_the_command_did(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """``main`` holds it while the command starts and releases it on return: after a command that failed,
    and after a command line that argparse refused (it raises SystemExit)."""
    monkeypatch.setenv("FACTORY_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert main(["hosts", "-i", str(tmp_path / "no-inventory.yml")]) != 0
    assert "no-inventory.yml" in capsys.readouterr().err
    assert gc.isenabled() and not collector.holding()
    with pytest.raises(SystemExit):
        main(["hosts", "--no-such-option"])
    assert gc.isenabled() and not collector.holding()
