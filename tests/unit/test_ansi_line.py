"""The fast path for Ansible's coloured lines gives exactly the segments Rich's own ANSI decoder gives."""

from __future__ import annotations

import pytest
from rich.console import Console
from rich.text import Text

from tui.render.ansi_line import line_segments

LINES = [
    "\x1b[0;32mok: [pi1] => (item=5)\x1b[0m",
    "\x1b[0;33mchanged: [pi2]\x1b[0m",
    "\x1b[1;31mfatal: [pi3]: UNREACHABLE! => {\x1b[0m",
    "PLAY RECAP *********************************************************************",
    "\x1b[0;32mpi1\x1b[0m                        : \x1b[0;32mok=2   \x1b[0m changed=0    unreachable=0",
    "",
    "\x1b[1mbold\x1b[0;32mthen green without a reset",
    "\x1b[38;5;208m256-colour\x1b[0m and \x1b[38;2;10;20;30mtruecolour\x1b[48;5;4m on blue\x1b[0m",
    "\x1b[0;35m[WARNING]: Platform linux on host pi1 is using the discovered Python\x1b[0m",
    "wide: ✔ 日本語 ●",
    # Not SGR, or control characters: these go through Rich itself.
    "\x1b[Kerased line",
    "tab\tseparated",
    "progress\rfinal",
]


def _pairs(segments) -> list[tuple[str, object]]:
    return [(seg.text, seg.style or None) for seg in segments if seg.text]


@pytest.mark.parametrize("line", LINES)
def test_same_segments_as_rich(line: str) -> None:
    console = Console(width=200, color_system="truecolor")
    expected = [seg for seg in Text.from_ansi(line, no_wrap=True, end="").render(console) if seg.text != "\n"]
    assert _pairs(line_segments(line, console)) == _pairs(expected)


def test_colour_survives_until_reset() -> None:
    segments = line_segments("\x1b[0;32mgreen\x1b[0m plain", Console())
    assert [(s.text, s.style.color.number if s.style and s.style.color else None) for s in segments] == [
        ("green", 2),  # ANSI colour 2 is green
        (" plain", None),
    ]
