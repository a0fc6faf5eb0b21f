"""Ansible's coloured output lines as Rich segments, fast.

A run pane turns every line it shows into segments. Rich's ``Text.from_ansi`` handles any escape
sequence but costs close to a millisecond a line on a small machine, and a live run shows tens of lines
per frame. Ansible only writes SGR colour codes (``ESC[0;32m`` … ``ESC[0m``), so the common line is split
on those, with one cached style per (style so far, codes) pair. Any other escape or control character
sends the line to Rich, so the result is the same either way.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rich.ansi import SGR_STYLE_MAP
from rich.color import Color
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

_SGR = re.compile(r"\x1b\[([0-9;]*)m")
_OTHER_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@lru_cache(maxsize=1024)
def _apply(style: Style | None, params: str) -> Style | None:
    """The style after ``ESC[<params>m``, following Rich's own decoder for the codes Ansible writes."""
    codes = [min(255, int(c) if c else 0) for c in params.split(";") if c.isdigit() or c == ""]
    current = style or Style.null()
    it = iter(codes)
    for code in it:
        if code == 0:
            current = Style.null()
        elif code in SGR_STYLE_MAP:
            current += Style.parse(SGR_STYLE_MAP[code])
        elif code in (38, 48):
            kind = next(it, None)
            if kind == 5:
                color = Color.from_ansi(next(it, 0))
            elif kind == 2:
                color = Color.from_rgb(next(it, 0), next(it, 0), next(it, 0))
            else:
                continue
            current += Style(color=color) if code == 38 else Style(bgcolor=color)
    return current or None


def line_segments(line: str, console: Console) -> list[Segment]:
    """One output line (no line end) as segments; the same styles Rich would give it."""
    parts = _SGR.split(line)
    # parts alternates text, codes, text, codes, …, text: text at even indexes.
    if any(_OTHER_CONTROL.search(parts[i]) for i in range(0, len(parts), 2)):
        text = Text.from_ansi(line, no_wrap=True, end="")
        return [seg for seg in text.render(console) if seg.text != "\n"]
    segments: list[Segment] = []
    style: Style | None = None
    for i, part in enumerate(parts):
        if i % 2:
            style = _apply(style, part)
        elif part:
            segments.append(Segment(part, style))
    return segments
