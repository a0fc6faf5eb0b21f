"""The run's two ends of the pipe: the child's pacing of ansible-runner's read loop (a nap after a little
output, none in a burst), its records, and the app's reading of them however the pipe splits them."""

from __future__ import annotations

import io
import threading

from actions.ansible.spawn import _Reader
from actions.ansible.worker import BURST, NAP, _Pump


def _pump(cancel: threading.Event | None = None, children: list[int] | None = None,
          ) -> tuple[_Pump, list[float], io.BytesIO]:
    """A pump writing to memory, napping into a list; ``children`` stands for ansible-playbook's pid."""
    naps: list[float] = []
    wire = io.BytesIO()
    kids = children if children is not None else []
    pump = _Pump(wire, cancel or threading.Event(), children=lambda: list(kids), sleep=naps.append)
    return pump, naps, wire


def test_a_few_lines_are_written_then_the_loop_naps_before_it_reads_again() -> None:
    pump, naps, wire = _pump()
    pump.output({"stdout": "ok: [pi1]"})
    pump.output({"stdout": "ok: [pi2]\r\nok: [pi3]"})
    assert pump.check() is False
    assert naps == [NAP]
    assert wire.getvalue() == b"ook: [pi1]\nook: [pi2]\nook: [pi3]\n"


def test_a_wake_up_without_output_does_not_nap() -> None:
    pump, naps, _ = _pump()
    pump.output({"stdout": "ok: [pi1]"})
    pump.check()
    pump.check()  # the loop's timeout: nothing was read since
    assert naps == [NAP]


def test_a_burst_is_read_on_at_once_and_written_in_one_piece() -> None:
    pump, naps, wire = _pump()
    for n in range(BURST // 20 + 1):
        pump.output({"stdout": f"ok: [pi1] => (item={n:09d})"})
    pump.check()
    assert naps == []
    pump.output({"stdout": "ok: [pi1] => (item=last)"})
    pump.check()  # not a burst any more: what gathered is written, then the nap
    assert naps == [NAP]
    lines = wire.getvalue().decode().splitlines()
    assert len(lines) == BURST // 20 + 2 and lines[-1] == "ook: [pi1] => (item=last)"


def test_the_playbook_pid_goes_first_once_it_runs() -> None:
    kids: list[int] = []
    pump, _, wire = _pump(children=kids)
    pump.check()
    assert wire.getvalue() == b""
    kids.append(4242)
    pump.output({"stdout": "PLAY [all]"})
    pump.check()
    pump.check()
    assert wire.getvalue() == b"p4242\noPLAY [all]\n"


def test_a_cancel_is_still_seen_after_the_nap() -> None:
    cancel = threading.Event()
    pump, naps, _ = _pump(cancel)
    pump.output({"stdout": "TASK [sleep] ****"})
    cancel.set()
    assert pump.check() is True
    assert naps == [NAP] and pump.killed


def test_records_are_read_whole_however_the_pipe_splits_them() -> None:
    lines: list[str] = []
    reader = _Reader(lines.append)
    data = f"p{2**30}\noTASK [é] ***\no\noline\rwith a carriage return\nr{{\"status\": \"successful\", \"rc\": 0}}\n"
    raw = data.encode()
    for at in range(0, len(raw), 3):  # three bytes at a time: records and characters cut in two
        reader.feed(raw[at:at + 3])
    assert lines == ["TASK [é] ***", "", "line\rwith a carriage return"]
    assert reader.end == {"status": "successful", "rc": 0}
    assert reader.playbook is None  # no process has that pid: nothing to watch


def test_a_worker_that_cannot_run_says_why() -> None:
    reader = _Reader(lambda _line: None)
    reader.feed(b"!FileNotFoundError: no such directory\n")
    assert reader.failed == "FileNotFoundError: no such directory" and reader.end is None
