"""Break the loops through which a Textual ``Strip`` refers to itself, so that dropping it frees it.

``Strip.divide`` with a single cut and ``Strip.adjust_cell_length`` hand back the strip itself and keep it
in the strip's own private caches: reference counting never frees such a strip; only the collector does.
"""

from __future__ import annotations

from textual.strip import Strip

# The caches in which Textual 8's Strip can hold itself (``divide`` and ``adjust_cell_length`` hand back
# the strip unchanged and cache it). Missing names are skipped; tests/unit/test_strip_store.py checks
# that a dropped strip is still freed without the collector, should a new Textual add another.
_STRIP_CACHES = ("_divide_cache", "_line_length_cache")


def release(strip: Strip) -> None:
    """Empty the caches through which ``strip`` may refer back to itself."""
    for name in _STRIP_CACHES:
        cache = getattr(strip, name, None)
        if cache is not None:
            cache.clear()
