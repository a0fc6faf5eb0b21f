"""Everything that leans on Textual's private internals, in one place.

Textual keeps these names to itself and may change them in any release, so they are used here only,
textual is pinned to the minor version below in ``pyproject.toml``, and ``tests/tui/test_textual_patches.py``
fails when the installed Textual moves past it or drops a name listed here.

Checked against Textual 8.2 (8.2.8):

- :mod:`.compositor`: ``textual._compositor.Compositor`` (subclassed), its ``_get_renders`` (overridden)
  and ``visible_widgets``; ``Screen._compositor`` (replaced before the first layout).
- :mod:`.quiet_size`: ``Widget._scroll_update`` (called), and the ``Widget.virtual_size`` reactive's
  descriptor ``__get__``/``__set__`` (called directly, to bypass the layout it asks for).
- :mod:`.one_style_table`: ``DataTable.render_lines`` asking for ``rich_style`` once per line (the
  property is answered from one look-up per draw).
- :mod:`.strip_cache`: ``Strip._divide_cache`` and ``Strip._line_length_cache`` (emptied).
- :mod:`.css_reparse`: ``Stylesheet._variables`` (compared), and ``Stylesheet.parse`` assigning the rules
  only once every source parsed (``reparse`` overridden to parse in place, from the parse cache).

Outside this package, ``tui.widgets.output_view.OutputView`` overrides two public hooks whose bodies
follow Textual's: ``watch_scroll_y`` (ScrollView's, minus the hidden scrollbar's update) and
``render_lines`` (a cached and a bare path beside Textual's own).
"""

TEXTUAL_MINOR = (8, 2)
"""The Textual minor version every patch here was checked against."""

PRIVATE_NAMES: dict[str, tuple[str, ...]] = {
    "textual._compositor.Compositor": ("_get_renders", "visible_widgets"),
    "textual.screen.Screen": ("_compositor",),
    "textual.widget.Widget": ("_scroll_update",),
    "textual.strip.Strip": ("_divide_cache", "_line_length_cache"),
    "textual.css.stylesheet.Stylesheet": ("_variables", "_parse_cache"),
}
"""Each private name the patches use, by the class that holds it (instance attributes included)."""
