"""The startup bench reads panes through one tmux control client: what it reads is the pane as it is now
(not the reply to an earlier command), before and after the program in it writes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.startup import Tmux


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    server = Tmux()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_each_read_is_the_pane_now(tmux: Tmux, tmp_path: Path) -> None:
    go = tmp_path / "go"
    # The pane stays blank until the test creates the file, then prints one line.
    tmux("new-session", "-d", "-s", "pane", "-x", "80", "-y", "10",
         f"while [ ! -e {go} ]; do sleep 0.05; done; echo first line; sleep 60")
    assert tmux.screen("pane").strip() == ""
    assert tmux.screen("pane").strip() == ""  # a second read answers the second request, not the first
    go.touch()
    deadline = time.monotonic() + 20
    while "first line" not in (shown := tmux.screen("pane")):
        assert time.monotonic() < deadline, f"never shown; last read: {shown!r}"
        time.sleep(0.05)
    assert shown.splitlines()[0] == "first line"
    assert "%begin" not in shown and "%end" not in shown


def test_a_pane_that_does_not_exist_is_an_error_not_a_screen(tmux: Tmux) -> None:
    """tmux answers %error: the read ends there (no waiting for an %end that never comes), and tmux's
    message is not taken for the pane's text, which would count as a first frame."""
    with pytest.raises(SystemExit, match=r"can't find .*no-such-session"):
        tmux.screen("no-such-session")
    tmux("new-session", "-d", "-s", "after", "-x", "80", "-y", "5", "echo still reading; sleep 60")
    deadline = time.monotonic() + 20
    while "still reading" not in tmux.screen("after"):  # the client is still in step with its replies
        assert time.monotonic() < deadline
        time.sleep(0.05)
