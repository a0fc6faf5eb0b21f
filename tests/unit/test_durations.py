"""The one duration form, at every boundary between its units."""

from __future__ import annotations

import pytest

from actions.durations import ago_text, duration_text


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0s"),
    (0.4, "0s"),
    (1, "1s"),
    (59, "59s"),
    (59.9, "59s"),  # counted down: an age never reads older than it is
    (60, "1m00s"),
    (61, "1m01s"),
    (90, "1m30s"),
    (3599, "59m59s"),
    (3599.99, "59m59s"),
    (3600, "1h00m"),
    (3660, "1h01m"),
    (2 * 3600 + 5 * 60 + 59, "2h05m"),
    (86399, "23h59m"),
    (86400, "1d0h"),
    (3 * 86400 + 4 * 3600 + 3599, "3d4h"),
    (400 * 86400, "400d0h"),
    (-0.5, "0s"),  # a clock a little ahead of this one
    (-3600, "0s"),
])
def test_duration_text_at_each_boundary(seconds: float, text: str) -> None:
    assert duration_text(seconds) == text


def test_none_reads_as_the_missing_word() -> None:
    assert duration_text(None) == "-"
    assert duration_text(None, missing="") == ""


def test_ago_text() -> None:
    assert ago_text(3 * 3600 + 300) == "3h05m ago"
    assert ago_text(0) == "0s ago"
    assert ago_text(-2) == "0s ago"
    assert ago_text(None) == "never"
    assert ago_text(None, missing="never read") == "never read"
