"""The disaster-recovery drill's recovery time (RTO): a rehearsal lab of its own, known rows on pi2's
PostgreSQL, a real backup by 05_backup, the database dropped and Vault sealed, the recovery checklist walked
in the app (the restore run for real behind its typed confirmation), the rows compared (see
``tests/drill.py``); then pi2's disk is lost and the rows come back from the off-site copy. Prints each
phase's duration, the incident report's steps with their durations, and the RTO: from the checklist's opening
until its last step was done.

Usage (as root, on Linux): python bench/drill.py [--report]   (--report: the whole incident report too)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from actions import rehearsal
from bench.stopping import stops_on_signals
from tests.conftest import make_settings
from tests.drill import run_drill, run_offsite_drill


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--report", action="store_true", help="print the whole incident report")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, stops_on_signals() as stops:
        settings = make_settings(Path(tmp) / "state")
        started = time.monotonic()
        stops.callback(rehearsal.down, settings, purge=True)
        status = rehearsal.up(settings)
        up = time.monotonic() - started
        drill, rows, report = asyncio.run(run_drill(settings, status, Path(tmp) / "drill"))
        run_offsite_drill(drill, rows)  # then pi2's disk is lost: the rows come back from off-site
    print(f"{'phase':<44} {'seconds':>8}")
    print(f"{'rehearsal lab up':<44} {up:>8.1f}")
    for name, seconds in drill.phases:
        print(f"{name:<44} {seconds:>8.1f}")
    print(f"rows before and after: {rows}")
    print()
    lines = report.splitlines()
    if args.report:
        print(report)
        return
    steps = lines.index("## Steps")
    table = lines[steps + 2:lines.index("## Timeline")]
    print("\n".join(line for line in table if line))
    print()
    print(next(line for line in lines if line.startswith("- recovery time (RTO)")).removeprefix("- "))


if __name__ == "__main__":
    main()
