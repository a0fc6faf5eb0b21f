"""A bench stopped by a signal part-way stops every server it started (here: the health bench, with the
sandbox and its 50 extra sshd up, stopped by SIGTERM and by SIGINT)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from actions.procs import alive

ROOT = Path(__file__).resolve().parents[2]
# The sandbox's three sshd, and the bench's own: 50 addresses, 16 to an sshd.
SSHD_WHEN_ALL_UP = 3 + 4


def _servers(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _name(proc: psutil.Process) -> str:
    """The process's name, or "" once it has gone (a short-lived child can end between two looks)."""
    try:
        return proc.name()
    except psutil.NoSuchProcess:
        return ""


@pytest.mark.integration
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_health_bench_stops_its_servers_on_a_signal(sig: signal.Signals, tmp_path: Path) -> None:
    # stderr goes to a file: a pipe nobody reads could fill and hold the bench up. With faulthandler on, a
    # bench that does not stop is made to print every thread's stack there, for the failure to show.
    errors = tmp_path / "stderr"
    with errors.open("w") as err:
        bench = subprocess.Popen(
            [sys.executable, "-X", "faulthandler", str(ROOT / "bench" / "health.py"), "--hosts", "50",
             "--ticks", "100000"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err, text=True,
        )
    started: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 240
        while sum(_name(p) == "sshd" for p in started) < SSHD_WHEN_ALL_UP:
            assert bench.poll() is None, f"the bench ended early: {errors.read_text()}"
            assert time.monotonic() < deadline, [_name(p) for p in started]
            time.sleep(0.2)
            started = [p for p in _servers(bench.pid) if p.is_running()]
        bench.send_signal(sig)
        try:
            code = bench.wait(120)
        except subprocess.TimeoutExpired:
            bench.send_signal(signal.SIGABRT)  # faulthandler: every thread's stack to stderr
            bench.wait(30)
            raise AssertionError(f"the bench did not stop within 120 s of {sig.name}:\n{errors.read_text()}") from None
        assert code != 0
        left = [f"{p.pid} {_name(p)}" for p in started if alive(p.pid)]
        assert left == []
    finally:
        if bench.poll() is None:
            bench.kill()
            bench.wait(30)
        for proc in started:
            if alive(proc.pid):
                proc.kill()
