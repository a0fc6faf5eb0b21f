"""Benchmark: a playbook of >= 20,000 events streamed through the adapter into the run pane, headless.

Prints events per second, the worst gap between UI frames while streaming (target < 50 ms), the worst
stall of the UI's event loop, the app's peak memory (target < 300 MB), and the wall time of the adapter
(as the app runs it: prepare, journal, ansible-runner in its child process, pane) against plain
``ansible-playbook`` on the same playbook, same hosts and same Ansible settings (target <= 1.05), timed
between a plain run before and one after it.

Read the figures with the machine's core count in mind. The playbook keeps every core busy (one
ansible-playbook and one worker per host): on a small machine whatever the app spends (drawing, reading
the run's output) and the run's child process spends (ansible-runner's pty loop) is taken from Ansible
(the ratio) or waits for a core (the frame gaps). "App CPU" is the app's own process, without that child.

    python bench/ansible_stream.py                 # starts its own sandbox (temp state dir, free ports)
    python bench/ansible_stream.py -i INVENTORY    # uses a running sandbox's inventory
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import gc
import itertools
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from actions.ansible import RunSpec, RunStatus, prepare  # noqa: E402
from actions.ansible.runner import _env  # noqa: E402
from actions.config import Settings, load_settings  # noqa: E402
from actions.lab import load_lab  # noqa: E402
from actions.procs import kill_tree  # noqa: E402
from bench.stopping import stops_on_signals  # noqa: E402

PLAYBOOK = ROOT / "tests" / "data" / "playbooks" / "stream.yml"


def plain_run(settings: Settings, command: tuple[str, ...]) -> tuple[float, int]:
    """Plain ansible-playbook, its output read through a pipe as a terminal would; (seconds, lines)."""
    env = dict(os.environ)
    env.update(_env(settings, settings.state_dir))
    env["ANSIBLE_STDOUT_CALLBACK"] = "default"
    Path(env["ANSIBLE_LOCAL_TEMP"]).mkdir(parents=True, exist_ok=True)
    cwd = settings.ansible.playbook_dir if settings.ansible.playbook_dir.is_dir() else None
    t0 = time.perf_counter()
    proc = subprocess.Popen(list(command), env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    try:
        lines = sum(1 for _ in proc.stdout)
        rc = proc.wait()
    except BaseException:
        kill_tree(proc.pid)  # stopped part-way: the playbook and its workers go too
        proc.wait()
        raise
    took = time.perf_counter() - t0
    if rc != 0:
        raise SystemExit(f"plain ansible-playbook failed with {rc}")
    return took, lines


class _GcPauses:
    """The garbage collector's pauses (they stop the UI thread like any other work), with their times."""

    def __init__(self) -> None:
        self.pauses: list[tuple[float, float, int]] = []  # (ended at, seconds, generation)
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        now = time.perf_counter()
        if phase == "start":
            self._started = now
        else:
            self.pauses.append((now, now - self._started, info["generation"]))


class _WorkerCpu:
    """CPU seconds the run's child process (``actions.ansible.worker``: ansible-runner's loop) has used,
    without its own children (ansible-playbook). Sampled now and then: its figures go with it at its end."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._proc: psutil.Process | None = None

    def sample(self) -> None:
        """Read the child's CPU time now (finding the child the first time it is there)."""
        try:
            if self._proc is None:
                self._proc = next((child for child in psutil.Process().children()
                                   if "actions.ansible.worker" in " ".join(child.cmdline())), None)
            if self._proc is not None:
                used = self._proc.cpu_times()
                self.seconds = used.user + used.system
        except psutil.Error:  # gone, or a zombie, since the listing: the last sample stands
            pass


def _tick_every(interval: float, stamps: list[float]) -> Callable[[], None]:
    """Stamp the event loop every ``interval`` (plain asyncio, so the probe costs the UI next to nothing);
    the gaps between stamps are the loop's stalls. Returns the function that stops it."""
    loop = asyncio.get_running_loop()
    handle: list[asyncio.TimerHandle] = []

    def tick() -> None:
        stamps.append(time.perf_counter())
        handle[:] = [loop.call_later(interval, tick)]

    tick()
    return lambda: handle[0].cancel()


def _waits_to_be_drawn(widget) -> bool:  # type: ignore[no-untyped-def]
    """Whether a shown widget of this subtree waits for a frame. A hidden one is never drawn, so it keeps
    a refresh asked of it for good (the pane's filter box did): it would make every batch count."""
    if not widget.display:
        return False
    if widget._repaint_required or widget._layout_required:
        return True
    return any(_waits_to_be_drawn(child) for child in widget.children)


async def adapter_run(settings: Settings, spec: RunSpec) -> dict[str, float]:
    """The app's own path: RunsScreen.start_run -> thread worker -> batches -> RunPane, headless."""
    from tui.app import FactoryApp
    from tui.screens.runs import RunsScreen
    from tui.widgets.run_pane import RunPane

    app = FactoryApp(settings=settings, lab=load_lab(spec.inventory), inventory=spec.inventory)
    frames: list[float] = []
    ticks: list[float] = []
    original = app._display

    def display(screen, renderable):  # type: ignore[no-untyped-def]
        if renderable is not None:
            frames.append(time.perf_counter())
        return original(screen, renderable)

    app._display = display  # type: ignore[method-assign]
    # Each batch that changed the screen: when the run's thread made it, and when the pane took it in. A
    # batch that changes nothing on screen (only the playbook's start, or loop items the task table does
    # not mark) waits for no frame, so it says nothing about how late frames are.
    batches: list[tuple[float, float]] = []
    feed = RunPane.feed

    def timed_feed(pane, lines, events):  # type: ignore[no-untyped-def]
        made, fed = created.pop(id(lines), time.perf_counter()), time.perf_counter()
        feed(pane, lines, events)
        if _waits_to_be_drawn(pane):
            batches.append((made, fed))

    created: dict[int, float] = {}
    batch_init = RunPane.Batch.__init__

    def timed_batch(message, lines, events):  # type: ignore[no-untyped-def]
        created[id(lines)] = time.perf_counter()
        batch_init(message, lines, events)

    RunPane.feed = timed_feed  # type: ignore[method-assign]
    RunPane.Batch.__init__ = timed_batch  # type: ignore[method-assign]
    collector = _GcPauses()
    gc.callbacks.append(collector)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("3")
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        stop_ticks = _tick_every(0.01, ticks)
        t0 = time.perf_counter()
        ui_cpu0, app_cpu0 = time.thread_time(), _process_cpu()
        screen.start_run(spec)
        first_batch: float | None = None
        # The pane is looked up once: a DOM query every 20 ms would be the benchmark's own load on the UI.
        pane: RunPane | None = None
        while pane is None:
            await asyncio.sleep(0.02)
            pane = next(iter(screen.query(RunPane)), None)
        worker_cpu = _WorkerCpu()
        for turn in itertools.count():
            await asyncio.sleep(0.02)
            if turn % 25 == 0:  # twice a second: listing the children costs the app's loop a little
                worker_cpu.sample()
            if first_batch is None and pane.events:
                first_batch = time.perf_counter()
            if not pane.status.ongoing:
                break
        took = time.perf_counter() - t0
        end = time.perf_counter()
        ui_cpu, app_cpu = time.thread_time() - ui_cpu0, _process_cpu() - app_cpu0
        stop_ticks()
        await pilot.pause(0.2)
        if pane.status is not RunStatus.OK:
            raise SystemExit(f"adapter run ended {pane.status}")
    start = first_batch or t0

    def gaps(stamps: list[float]) -> list[float]:
        inside = [s for s in stamps if start <= s <= end]
        return sorted(b - a for a, b in itertools.pairwise(inside)) or [0.0]

    frame_gaps, loop_gaps = gaps(frames), gaps(ticks)
    RunPane.feed, RunPane.Batch.__init__ = feed, batch_init  # type: ignore[method-assign]
    # For each batch, the frame that first showed it. "Late" is how long the screen went unpainted while
    # that output waited: from the later of (the batch made, the frame before) to the frame. A gap with
    # nothing to show (Ansible templating a loop, a quiet task) is not the UI's lateness.
    late: list[float] = []
    latency: list[float] = []
    for made, fed in batches:
        at = bisect.bisect_right(frames, fed)
        if at >= len(frames) or at == 0:
            continue
        shown = frames[at]
        latency.append(shown - made)
        late.append(shown - max(made, frames[at - 1]))
    late.sort()
    latency.sort()
    gc.callbacks.remove(collector)
    collections = [(pause, gen) for at, pause, gen in collector.pauses if start <= at <= end]
    worst_gc = max(collections, default=(0.0, 0))

    return {
        "seconds": took,
        "events": float(pane.events),
        "lines": float(len(pane.lines)),
        "stream_seconds": end - start,
        "worst_frame_gap": frame_gaps[-1],
        "p99_frame_gap": _p99(frame_gaps),
        "frame_gaps_over_100ms": float(sum(1 for g in frame_gaps if g > 0.1)),
        "worst_loop_stall": loop_gaps[-1],
        "p99_loop_stall": _p99(loop_gaps),
        "frames": float(len([f for f in frames if start <= f <= end])),
        "batches": float(len(batches)),
        "ui_cpu": ui_cpu,
        "app_cpu": app_cpu,
        "worker_cpu": worker_cpu.seconds,
        "worst_late": late[-1] if late else 0.0,
        "p99_late": _p99(late) if late else 0.0,
        "late_over_100ms": float(sum(1 for g in late if g > 0.1)),
        "worst_latency": latency[-1] if latency else 0.0,
        "p99_latency": _p99(latency) if latency else 0.0,
        "collections": float(len(collections)),
        "worst_gc_pause": worst_gc[0],
        "worst_gc_generation": float(worst_gc[1]),
    }


async def replay_run(settings: Settings, spec: RunSpec) -> dict[str, float]:
    """The UI alone: the last run replayed from its artifacts into a pane as fast as it can take it."""
    from actions.journal import open_journal
    from tui.app import FactoryApp
    from tui.screens.runs import RunsScreen
    from tui.widgets.run_pane import RunPane

    record = open_journal(settings.state_dir).runs(limit=1)[0]
    app = FactoryApp(settings=settings, lab=load_lab(spec.inventory), inventory=spec.inventory)
    ticks: list[float] = []
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("3")
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        stop_ticks = _tick_every(0.01, ticks)
        t0 = time.perf_counter()
        screen.open_replay(record)
        while True:
            await asyncio.sleep(0.02)
            panes = [p for p in screen.query(RunPane) if p.replay]
            if panes and panes[0].status is not RunStatus.RUNNING:
                break
        took = time.perf_counter() - t0
        stop_ticks()
        events = panes[0].events
    inside = [t for t in ticks if t >= t0]
    stall = max((b - a for a, b in itertools.pairwise(inside)), default=0.0)
    return {"seconds": took, "events": float(events), "worst_loop_stall": stall}


def _p99(values: list[float]) -> float:
    """The 99th percentile of sorted ``values``."""
    return values[int(len(values) * 0.99)]


def _process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-i", "--inventory", help="inventory of a running sandbox (default: start one)")
    parser.add_argument("--items", type=int, default=6700, help="loop items per host (3 hosts: 3x events)")
    parser.add_argument("--repeat", type=int, default=1, help="adapter runs to time, each between two plain runs")
    args = parser.parse_args()

    with stops_on_signals() as stack:
        return _main(args, stack)


def _main(args: argparse.Namespace, stack: contextlib.ExitStack) -> int:
    work = Path(tempfile.mkdtemp(prefix="factory-bench-"))
    stack.callback(shutil.rmtree, work, ignore_errors=True)
    if args.inventory:
        inventory = Path(args.inventory)
    else:
        sys.path.insert(0, str(ROOT / "tests"))
        from conftest import make_settings

        from actions import sandbox

        own_sandbox = make_settings(work / "sandbox-state")
        print("starting a sandbox ...", file=sys.stderr)
        stack.callback(sandbox.down, own_sandbox, purge=True)  # before up: a signal may come half-way through
        inventory = sandbox.up(own_sandbox).inventory
    settings = load_settings(None, state_dir=work / "state")
    spec = RunSpec(playbook=str(PLAYBOOK), inventory=inventory, check=True,
                   extra_vars=(("stream_items", str(args.items)),), forks=settings.ansible.forks)
    command = prepare(spec, settings, None).request.command
    # Plain runs before and after each adapter run, and the adapter against their mean: this machine's
    # speed drifts by a tenth or more over the minutes a pair takes (the same plain run, repeated,
    # took 68 s then 80 s), which an adapter run timed only after its plain run would carry.
    ratios, worst_gaps = [], []
    before, plain_lines = plain_run(settings, command)
    for n in range(args.repeat):
        res = asyncio.run(adapter_run(settings, spec))
        after, plain_lines = plain_run(settings, command)
        plain = (before + after) / 2
        ratio = res["seconds"] / plain
        ratios.append(ratio)
        worst_gaps.append(res["worst_late"])
        print(f"run {n + 1}: plain ansible-playbook {before:.2f}s before and {after:.2f}s after "
              f"({plain_lines} lines); adapter+pane {res['seconds']:.2f}s; ratio {ratio:.3f}; worst frame "
              f"gap with output waiting {res['worst_late'] * 1000:.0f} ms")
        before = after
    if len(ratios) > 1:
        print("(from here on, the last run's figures; the worst frame gap and the ratio cover every run)")
    print(f"events:                 {res['events']:.0f} ({res['lines']:.0f} output lines)")
    print(f"events per second:      {res['events'] / res['stream_seconds']:.0f} (while streaming)")
    print(f"worst UI frame gap:     {max(worst_gaps) * 1000:.0f} ms with output waiting to be shown, over "
          f"{len(worst_gaps)} run(s) (target < 50 ms on every run); last run: p99 {res['p99_late'] * 1000:.0f} ms, "
          f"{res['late_over_100ms']:.0f} of {res['batches']:.0f} batches that changed the screen waited "
          "over 100 ms")
    print(f"output to screen:       worst {res['worst_latency'] * 1000:.0f} ms, "
          f"p99 {res['p99_latency'] * 1000:.0f} ms (batch made on the run's thread -> frame showing it)")
    print(f"all frame gaps:         worst {res['worst_frame_gap'] * 1000:.0f} ms over {res['frames']:.0f} "
          f"frames, p99 {res['p99_frame_gap'] * 1000:.0f} ms, {res['frame_gaps_over_100ms']:.0f} over "
          "100 ms (including spells with nothing new to show)")
    print(f"app CPU while running:  {res['app_cpu']:.1f} s, of which the UI thread {res['ui_cpu']:.1f} s "
          f"({res['app_cpu'] / res['seconds'] * 100:.0f}% and {res['ui_cpu'] / res['seconds'] * 100:.0f}% "
          f"of one core; {res['ui_cpu'] / max(res['frames'], 1) * 1000:.1f} ms of UI per frame)")
    print(f"run's child CPU:        {res['worker_cpu']:.1f} s ({res['worker_cpu'] / res['seconds'] * 100:.0f}% "
          "of one core; ansible-runner's loop, without ansible-playbook)")
    print(f"worst event-loop stall: {res['worst_loop_stall'] * 1000:.0f} ms "
          f"(p99 {res['p99_loop_stall'] * 1000:.0f} ms)")
    print(f"garbage collector:      {res['collections']:.0f} collections; longest pause "
          f"{res['worst_gc_pause'] * 1000:.0f} ms (generation {res['worst_gc_generation']:.0f})")
    print(f"machine load average:   {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    rep = asyncio.run(replay_run(settings, spec))
    print(f"UI alone (replay):      {rep['events'] / rep['seconds']:.0f} events/s into the pane, "
          f"worst event-loop stall {rep['worst_loop_stall'] * 1000:.0f} ms")
    print(f"peak memory (app):      {peak_rss_mb():.0f} MB (target < 300 MB)")
    print(f"wall time ratio:        {min(ratios):.3f} best, {sum(ratios) / len(ratios):.3f} mean, "
          f"{max(ratios):.3f} worst"
          " (adapter / plain ansible-playbook, target <= 1.05 on every run)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
