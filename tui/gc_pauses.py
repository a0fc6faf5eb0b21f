"""Keep full garbage collections from stalling the screen while a run streams.

Everything loaded by the app's first frame (Textual, Rich, pydantic, the screens) lives as long as the
app, yet each full collection walks all of it again: 0.3-0.9 s pauses on a small machine, in the middle
of a streaming run. :func:`settle` collects once, then freezes those objects (later collections skip
them; reference counting still frees them) and makes full collections ten times rarer: what a run
allocates is nearly all freed by reference counting (the output view releases the self-referring strips
Textual would otherwise leave to the collector, see :mod:`tui.widgets.strip_store`). :func:`restore`
undoes both when the app exits, so a process that outlives the app (the test suite) keeps the default
behaviour.
"""

from __future__ import annotations

import gc

_saved: tuple[int, int, int] | None = None


def settle() -> None:
    global _saved
    if _saved is not None:
        return
    _saved = gc.get_threshold()
    gc.collect()
    gc.freeze()
    young, middle, old = _saved
    gc.set_threshold(young, middle, old * 10)


def restore() -> None:
    global _saved
    if _saved is None:
        return
    gc.unfreeze()
    gc.set_threshold(*_saved)
    _saved = None
