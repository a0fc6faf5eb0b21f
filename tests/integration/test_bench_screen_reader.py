"""The startup bench reads panes through one tmux control client: each read is the pane as it is now, not
the reply to an earlier request (the attach's own reply comes first), and its server leaves nothing."""

from __future__ import annotations

import os
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


def shown_to_tmux(tmux: Tmux, session: str, text: str) -> None:
    """Wait until ``text`` is on the pane, asked through a capture-pane process of its own (not the client)."""
    deadline = time.monotonic() + 20
    while text not in tmux("capture-pane", "-p", "-t", session):
        assert time.monotonic() < deadline, f"{text!r} never shown"
        time.sleep(0.05)


def test_each_read_is_the_pane_now(tmux: Tmux, tmp_path: Path) -> None:
    go = tmp_path / "go"
    tmux("new-session", "-d", "-s", "pane", "-x", "80", "-y", "10",
         f"echo first line; while [ ! -e {go} ]; do sleep 0.05; done; echo second line; sleep 60")
    shown_to_tmux(tmux, "pane", "first line")
    # The first read through the client: a reply one behind would be the attach's (empty) one.
    assert tmux.screen("pane").splitlines()[0] == "first line"
    go.touch()
    shown_to_tmux(tmux, "pane", "second line")
    shown = tmux.screen("pane")  # one read only: a reply one behind would lack the second line
    assert shown.splitlines()[:2] == ["first line", "second line"]
    assert "%begin" not in shown and "%end" not in shown


def test_a_pane_that_does_not_exist_is_an_error_not_a_screen(tmux: Tmux) -> None:
    """tmux answers %error: the read ends there (no waiting for an %end that never comes), and tmux's
    message is not taken for the pane's text, which would count as a first frame."""
    with pytest.raises(SystemExit, match=r"can't find .*no-such-session"):
        tmux.screen("no-such-session")
    tmux("new-session", "-d", "-s", "after", "-x", "80", "-y", "5", "echo still reading; sleep 60")
    shown_to_tmux(tmux, "after", "still reading")
    assert "still reading" in tmux.screen("after")  # the client is still in step with its replies


def test_a_stopped_server_leaves_no_socket() -> None:
    server = Tmux()
    server.start()
    socket = Path(os.environ.get("TMUX_TMPDIR") or "/tmp") / f"tmux-{os.getuid()}" / server.server
    assert socket.exists()
    server.stop()
    assert not socket.exists()
    assert server("list-sessions") == ""  # no server answers under that name
