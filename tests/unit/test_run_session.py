"""The run session's pacing of ansible-runner's read loop: a nap after a little output, none otherwise."""

from __future__ import annotations

import threading

from actions.ansible.runner import BURST, NAP, _Session


def _session(cancel: threading.Event | None = None) -> tuple[_Session, list[float], list[str]]:
    naps: list[float] = []
    lines: list[str] = []
    session = _Session(None, lines.append, cancel or threading.Event(), None, sleep=naps.append)
    return session, naps, lines


def test_a_few_lines_make_the_loop_nap_before_it_reads_again() -> None:
    session, naps, lines = _session()
    session.handle({"stdout": "ok: [pi1]"})
    session.handle({"stdout": "ok: [pi2]"})
    assert session.check_cancel() is False
    assert naps == [NAP]
    assert lines == ["ok: [pi1]", "ok: [pi2]"]


def test_a_wake_up_without_output_does_not_nap() -> None:
    session, naps, _ = _session()
    session.handle({"stdout": "ok: [pi1]"})
    session.check_cancel()
    session.check_cancel()  # the loop's timeout: nothing was read since
    assert naps == [NAP]


def test_a_burst_is_read_on_at_once() -> None:
    session, naps, _ = _session()
    for n in range(BURST // 20 + 1):
        session.handle({"stdout": f"ok: [pi1] => (item={n:09d})"})
    session.check_cancel()
    assert naps == []


def test_a_cancel_is_still_seen_after_the_nap() -> None:
    cancel = threading.Event()
    session, naps, _ = _session(cancel)
    session.handle({"stdout": "TASK [sleep] ****"})
    cancel.set()
    assert session.check_cancel() is True
    assert naps == [NAP]
