"""Rows a widget draws itself, past Textual's own row cache."""

from __future__ import annotations

from textual.widget import Widget


def forget_cached_rows(widget: Widget) -> None:
    """Empty Textual's cache of ``widget``'s styled rows, after the widget drew rows without it: that
    cache would otherwise hand back older rows at the same places on a later draw."""
    widget._styles_cache.clear()
