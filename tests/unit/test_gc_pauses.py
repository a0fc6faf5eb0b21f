"""The app's garbage-collector settings: full collections put off while runs stream, all undone on exit."""

from __future__ import annotations

import gc

from tui import gc_pauses


def test_settle_freezes_and_restore_undoes_it() -> None:
    before = gc.get_threshold()
    gc_pauses.settle()
    try:
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (before[0], before[1], before[2] * gc_pauses.SETTLED)
        gc_pauses.settle()  # a second app in the same process changes nothing more
        assert gc.get_threshold()[2] == before[2] * gc_pauses.SETTLED
    finally:
        gc_pauses.restore()
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before


def test_streaming_runs_put_full_collections_off_until_the_last_one_ends() -> None:
    before = gc.get_threshold()
    gc_pauses.settle()
    try:
        gc_pauses.run_started()
        gc_pauses.run_started()
        assert gc.get_threshold()[2] == before[2] * gc_pauses.STREAMING
        full = gc.get_stats()[2]["collections"]
        gc_pauses.run_ended()
        assert gc.get_threshold()[2] == before[2] * gc_pauses.STREAMING  # one run still streams
        assert gc.get_stats()[2]["collections"] == full
        gc_pauses.run_ended()
        assert gc.get_threshold()[2] == before[2] * gc_pauses.SETTLED
        assert gc.get_stats()[2]["collections"] == full + 1  # collected now, with nothing streaming
        gc_pauses.run_ended()  # one too many changes nothing
        assert gc.get_threshold()[2] == before[2] * gc_pauses.SETTLED
    finally:
        gc_pauses.restore()
    assert gc.get_threshold() == before


def test_a_run_that_starts_before_the_app_settles_is_still_held() -> None:
    before = gc.get_threshold()
    try:
        gc_pauses.run_started()
        assert gc.get_threshold() == before  # nothing to change before settle
        gc_pauses.settle()
        assert gc.get_threshold()[2] == before[2] * gc_pauses.STREAMING
    finally:
        gc_pauses.restore()
    assert gc.get_threshold() == before
