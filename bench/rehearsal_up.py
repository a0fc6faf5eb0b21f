"""How long the rehearsal hosts take to come up: the first `up` of a lab (fresh disks over the cached base
image) and a warm `up` after `down` (disks kept), both to a running systemd and an answering sshd on all
three hosts. Target for both: under 30 s. The one-off base image build is reported apart when it happens.

Usage (as root, on Linux): python bench/rehearsal_up.py [--runs N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from actions import rehearsal
from actions.rehearsal import image
from bench.stopping import stops_on_signals
from tests.conftest import make_settings

TARGET = 30.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    first, warm = [], []
    with tempfile.TemporaryDirectory() as tmp, stops_on_signals() as stops:
        settings = make_settings(Path(tmp) / "state")
        # SIGINT and SIGTERM too: the lab this bench started is stopped before it exits.
        stops.callback(rehearsal.down, settings, purge=True)
        if not image.is_ready(settings.rehearsal.image_dir):
            t0 = time.perf_counter()
            image.ensure(settings.rehearsal.image_dir, settings.rehearsal.mirror, lambda _m: None)
            print(f"base image build (once, cached): {time.perf_counter() - t0:.1f} s")
        for _ in range(args.runs):
            t0 = time.perf_counter()
            st = rehearsal.up(settings)
            first.append(time.perf_counter() - t0)
            assert st.all_up, st.hosts
            rehearsal.down(settings)
            t0 = time.perf_counter()
            st = rehearsal.up(settings)
            warm.append(time.perf_counter() - t0)
            assert st.all_up, st.hosts
            rehearsal.down(settings, purge=True)
    print(f"rehearsal up, first for a lab: median {sorted(first)[len(first) // 2]:.1f} s, worst {max(first):.1f} s "
          f"(target < {TARGET:.0f} s)")
    print(f"rehearsal up, warm (after down): median {sorted(warm)[len(warm) // 2]:.1f} s, worst {max(warm):.1f} s "
          f"(target < {TARGET:.0f} s)")


if __name__ == "__main__":
    main()
