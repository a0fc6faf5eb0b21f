"""StripStore: bounded, least recently used, and what it drops is freed without the garbage collector."""

from __future__ import annotations

import gc

from rich.segment import Segment
from textual.strip import Strip

from tui.render.strip_store import StripStore
from tui.textual_patches.strip_cache import release


def _strip(text: str) -> Strip:
    return Strip([Segment(text)])


def test_keeps_the_most_recently_used() -> None:
    store = StripStore(2)
    store["a"], store["b"] = _strip("a"), _strip("b")
    assert store.get("a") is not None  # "a" is now the most recent
    store["c"] = _strip("c")
    assert "b" not in store and "a" in store and "c" in store
    assert len(store) == 2
    store.clear()
    assert len(store) == 0 and store.get("a") is None


def test_a_dropped_strip_that_refers_to_itself_is_freed_by_reference_counting() -> None:
    strip = _strip("x" * 10)
    assert strip.divide([10]) == [strip]  # Textual caches [strip] inside strip: a loop
    assert strip.adjust_cell_length(10) is strip  # and caches strip inside itself: another
    released = _strip("y" * 10)
    released.divide([10])
    released.adjust_cell_length(10)
    release(released)

    gc.collect()
    gc.disable()
    try:
        del strip
        assert gc.collect() > 0, "an unreleased self-referring strip waits for the collector"
        store = StripStore(1)
        kept = _strip("z" * 10)
        kept.divide([10])
        kept.adjust_cell_length(10)
        store["z"] = kept
        del kept
        store["w"] = _strip("w")  # pushes "z" out, which releases it
        del released
        assert gc.collect() == 0
    finally:
        gc.enable()
