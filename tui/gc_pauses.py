"""Keep full garbage collections from stalling the screen while a run streams.

Everything loaded by the app's first frame (Textual, Rich, pydantic, the screens) lives as long as the
app, yet each full collection walks all of it again: 0.3-0.9 s pauses on a small machine, in the middle
of a streaming run. :func:`settle` collects once, then freezes those objects (later collections skip
them; reference counting still frees them) and makes full collections ten times rarer: what a run
allocates is nearly all freed by reference counting (the output view releases the self-referring strips
Textual would otherwise leave to the collector, see :mod:`tui.render.strip_store`).

Even so, a full collection over what the app built since (the screens' widgets, the drawing caches: some
60,000 objects) took 0.1 s of CPU, and up to 0.3 s on a busy machine, once per long run. While a run
streams (:func:`run_started` .. :func:`run_ended`) full collections are put off a hundred times longer
(half an hour at the benchmark's pace), and the last run to end collects, when nothing streams (the run
pane calls :func:`run_ended` just after the frame that shows the outcome).

:func:`restore` undoes it all when the app exits, so a process that outlives the app (the test suite)
keeps the default behaviour.
"""

from __future__ import annotations

import gc

from actions import collector

# Multiples of Python's own threshold for full collections: after settle, and while a run streams.
SETTLED = 10
STREAMING = 1000

_saved: tuple[int, int, int] | None = None
_streaming = 0


def _set_old(factor: int) -> None:
    assert _saved is not None
    young, middle, old = _saved
    gc.set_threshold(young, middle, old * factor)


def settle() -> None:
    """Raise the oldest generation's threshold and collect once, so streaming runs meet no long pause."""
    global _saved
    if _saved is not None:
        return
    _saved = gc.get_threshold()
    gc.collect()
    gc.freeze()
    _set_old(STREAMING if _streaming else SETTLED)
    collector.release()  # the app has started: what it built is frozen, the collector may run again


def run_started() -> None:
    """A run begins to stream into the UI: put full collections off until the last such run ends."""
    global _streaming
    _streaming += 1
    if _saved is not None:
        _set_old(STREAMING)


def run_ended() -> None:
    """A run stopped streaming; after the last one, collect what the runs left (nothing streams now)."""
    global _streaming
    if _streaming == 0:
        return
    _streaming -= 1
    if _streaming == 0 and _saved is not None:
        _set_old(SETTLED)
        gc.collect()


def restore() -> None:
    """Put the collector's thresholds back as they were before :func:`settle`."""
    global _saved, _streaming
    _streaming = 0
    if _saved is None:
        return
    gc.unfreeze()
    gc.set_threshold(*_saved)
    _saved = None
