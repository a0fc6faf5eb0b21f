"""How long `sandbox up` takes from nothing (target: under 15 s), and a second `up` when all is running.

Usage: python bench/sandbox_up.py [--runs N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from actions import sandbox
from bench.stopping import stops_on_signals
from tests.conftest import make_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    cold, warm = [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp, stops_on_signals() as stack:
            settings = make_settings(Path(tmp) / "state")
            stack.callback(sandbox.down, settings, purge=True)  # before up: a signal may come half-way through
            t0 = time.perf_counter()
            st = sandbox.up(settings)
            cold.append(time.perf_counter() - t0)
            assert st.all_up, st.parts
            t0 = time.perf_counter()
            sandbox.up(settings)
            warm.append(time.perf_counter() - t0)
    print(f"sandbox up, cold: best {min(cold):.2f} s, worst {max(cold):.2f} s over {args.runs} runs (target < 15 s)")
    print(f"sandbox up, already up: best {min(warm):.2f} s, worst {max(warm):.2f} s")


if __name__ == "__main__":
    main()
