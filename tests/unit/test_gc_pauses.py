"""The app's garbage-collector settings are undone when it exits, so the process is left as it was."""

from __future__ import annotations

import gc

from tui import gc_pauses


def test_settle_freezes_and_restore_undoes_it() -> None:
    before = gc.get_threshold()
    gc_pauses.settle()
    try:
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (before[0], before[1], before[2] * 10)
        gc_pauses.settle()  # a second app in the same process changes nothing more
        assert gc.get_threshold()[2] == before[2] * 10
    finally:
        gc_pauses.restore()
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before
