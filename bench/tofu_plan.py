"""Benchmark of the OpenTofu adapter on a 2,000-resource plan (``terraform_data`` with ``count``).

Prints two figures:
- the time to parse a ``show -json`` of the plan and render its summary in the plans pane, measured in a
  headless Textual app from the JSON bytes to the painted screen (target < 300 ms); the CLI's full print
  of every line is shown for reference;
- the adapter's wall time for ``plan -json -out`` against the same command run directly
  (target ratio <= 1.1), plus the adapter's whole plan (plan, show, record) for reference.

Usage: python bench/tofu_plan.py [--resources 2000] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from rich.console import Console  # noqa: E402

from actions.config import load_settings  # noqa: E402
from actions.tofu import TofuAdapter, find_binary, summarize  # noqa: E402
from actions.tofu.runner import FLAG, TofuEvent, build_argv, process_env, run_streaming  # noqa: E402
from bench.stopping import stops_on_signals  # noqa: E402
from tui.render.plan_render import summary_text  # noqa: E402

ROOT_DATA = REPO / "tests" / "data" / "tofu" / "many"


def render_cli(doc_bytes: bytes) -> float:
    """JSON bytes to the whole summary printed (every line), as `factory-tui plan` does."""
    start = time.perf_counter()
    summary = summarize(json.loads(doc_bytes))
    console = Console(file=io.StringIO(), width=120, force_terminal=True, color_system="truecolor")
    console.print(summary_text(summary, "many"))
    return time.perf_counter() - start


def render_pane(doc_bytes: bytes, runs: int) -> tuple[list[float], list[float], int]:
    """JSON bytes to the plans pane painted, in a headless Textual app the size of a terminal."""
    from textual.app import App, ComposeResult

    from tui.widgets.plan_summary import PlanSummaryView

    class PaneApp(App[None]):
        def compose(self) -> ComposeResult:
            yield PlanSummaryView(id="pane")

    times: list[float] = []
    cpu: list[float] = []
    changes = 0

    async def go() -> None:
        nonlocal changes
        app = PaneApp()
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            for _ in range(runs):
                start, start_cpu = time.perf_counter(), time.process_time()
                summary = summarize(json.loads(doc_bytes))
                app.query_one(PlanSummaryView).show(summary, "many")
                await pilot.pause()
                times.append(time.perf_counter() - start)
                cpu.append(time.process_time() - start_cpu)
                changes = len(summary.changes)

    asyncio.run(go())
    return times, cpu, changes


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--resources", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    # A signal becomes SystemExit: subprocess.run and the streaming adapter then stop the plan they started.
    with tempfile.TemporaryDirectory(prefix="tofu-bench-") as tmp, stops_on_signals():
        work = Path(tmp)
        root = work / "many"
        shutil.copytree(ROOT_DATA, root)
        rc = work / "empty.tfrc"
        rc.write_text("")
        extra = {"TF_CLI_CONFIG_FILE": str(rc), "TF_VAR_count_of": str(args.resources)}
        settings = load_settings(None, state_dir=work / "state", tofu={"roots": [str(root)]})
        binary = find_binary(settings)
        env = process_env(extra)
        subprocess.run([binary, "init", "-input=false"], cwd=root, env=env, check=True, capture_output=True)

        out = work / "direct.tfplan"
        argv = build_argv(binary, "plan", input=False, json=FLAG, detailed_exitcode=FLAG, out=str(out))
        direct: list[float] = []
        streamed: list[float] = []
        whole: list[float] = []
        events = 0
        adapter = TofuAdapter(settings, env=extra)
        target = adapter.root("many")
        for _ in range(args.runs):
            start = time.perf_counter()
            quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
            done = subprocess.run(argv, cwd=root, env=env, check=False, **quiet)  # type: ignore[call-overload]
            direct.append(time.perf_counter() - start)
            assert done.returncode == 2, f"plan exit {done.returncode}"

            seen: list[TofuEvent] = []
            start = time.perf_counter()
            result = asyncio.run(run_streaming(argv, cwd=root, env=env, on_event=seen.append))
            streamed.append(time.perf_counter() - start)
            assert result.returncode == 2, result.diagnostics
            events = len(seen)

            start = time.perf_counter()
            asyncio.run(adapter.plan(target, init=False))
            whole.append(time.perf_counter() - start)

        show = subprocess.run([binary, "show", "-json", str(out)], cwd=root, env=env, capture_output=True,
                              check=True).stdout
        pane, pane_cpu, changes = render_pane(show, 7)
        parse_ms = statistics.median(pane) * 1000
        parse_cpu_ms = statistics.median(pane_cpu) * 1000
        cli_ms = statistics.median(render_cli(show) for _ in range(3)) * 1000

    d, s, w = statistics.median(direct), statistics.median(streamed), statistics.median(whole)
    size = f"show -json {len(show) / 1e6:.1f} MB"
    print(f"resources planned:          {changes} ({events} streamed events, {size})")
    print(f"summary parse + pane paint: {parse_ms:.0f} ms (median of {len(pane)}; target < 300 ms), "
          f"{parse_cpu_ms:.0f} ms of CPU")
    print(f"summary printed in full:    {cli_ms:.0f} ms (CLI, every line; for reference)")
    print(f"terraform plan, direct:     {d:.2f} s (median of {args.runs})")
    print(f"terraform plan, adapter:    {s:.2f} s (median of {args.runs})")
    print(f"adapter / direct ratio:     {s / d:.3f} (target <= 1.1)")
    print(f"adapter plan + show + save: {w:.2f} s ({w / d:.2f}x the bare plan)")
    # On a shared machine the wall time includes waiting for a core; the load says how busy it was.
    print(f"load average (1 min):       {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    ok = parse_ms < 300 and s / d <= 1.1
    print("result:                     " + ("within targets" if ok else "OUTSIDE TARGETS"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
