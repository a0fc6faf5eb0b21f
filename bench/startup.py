"""Benchmark: how soon the app is useful, as a person sees it in a real terminal (tmux, capture-pane).

Each figure is the median of ``--runs`` runs (at least 5), all taken in the same run of this script and
interleaved, so a busy machine weighs on each alike:

- floor: a minimal Textual app (one Static), process start to its first frame;
- first frame: ``factory-tui -i sandbox`` against the sandbox, process start to its first frame;
- readings: the same process, start to the moment all three Pis' cards show a reading;
- ``factory-tui health --once`` in a pty, start to exit.

Targets: first frame <= 1.5x the floor, readings <= 2.5x the floor, ``health --once`` < 1.0 s.

Python runs as on an operator's machine: with ``PYTHONDONTWRITEBYTECODE`` unset, so compiled modules are
kept; one run of each, not counted, comes first (it writes them, and the app's lab cache).

    python bench/startup.py                 # starts its own sandbox (temp state dir, free ports)
    python bench/startup.py --runs 7
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import cli_env, make_settings, stop_tmux_server  # noqa: E402

BINARY = Path(sys.executable).with_name("factory-tui")
SIZE = ("120", "40")
TIMEOUT = 60.0
POLL = 0.01
# The values line of a host card that has a reading ("load 0.52/2c · ..."); one per card.
READING = re.compile(r"load \d+\.\d\d")
FLOOR_APP = '''
from textual.app import App
from textual.widgets import Static


class Floor(App[None]):
    def compose(self):
        yield Static("floor: first frame")


Floor().run()
'''
TARGETS = {"frame": 1.5, "readings": 2.5}
HEALTH_ONCE_TARGET = 1.0


class Tmux:
    """A tmux server of its own (-L), so the operator's sessions and settings play no part.

    The screens are read through one control-mode client (``tmux -C``), not a ``tmux capture-pane``
    process per look: at one look every 10 ms those processes took about a third of a core, which on a
    small machine the app measured had to share with them.
    """

    def __init__(self) -> None:
        # Unique per instance: a server just killed may still be on its way out under its name.
        self.server = f"factory-bench-{os.getpid()}-{time.monotonic_ns()}"
        self.control: subprocess.Popen[str] | None = None

    def __call__(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.server, "-f", "/dev/null", *args], capture_output=True,
                              text=True, check=False).stdout

    def screen(self, session: str) -> str:
        """The pane of ``session`` as text, read through the control client."""
        control = self.control
        assert control is not None and control.stdin is not None and control.stdout is not None
        control.stdin.write(f"capture-pane -p -t {session}\n")
        control.stdin.flush()
        # Notifications (%session-changed, ...) and the reply to the attach itself may come first: ours is
        # the block whose %begin has the flag 1 (sent by this client), its lines up to %end (or %error).
        while not ((line := control.stdout.readline()).startswith("%begin") and line.split()[-1] == "1"):
            if not line:
                raise SystemExit("the tmux control client went away")
        lines: list[str] = []
        while not (line := control.stdout.readline()).startswith(("%end", "%error")):
            if not line:
                raise SystemExit("the tmux control client went away")
            lines.append(line)
        if line.startswith("%error"):  # e.g. the session is gone: its message is no screen to measure
            raise SystemExit(f"tmux capture-pane -t {session}: {''.join(lines).strip()}")
        return "".join(lines)

    def start(self) -> None:
        """A session that lives as long as the bench (without it the server exits with each run's last
        session, and the next run's ``new-session`` can meet a server on its way out), and the control
        client, attached to it."""
        self("new-session", "-d", "-s", "keep", "sleep 100000")
        self.control = subprocess.Popen(["tmux", "-L", self.server, "-f", "/dev/null", "-C", "attach", "-t", "keep"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                        text=True, bufsize=1)

    def stop(self) -> None:
        if self.control is not None:
            self.control.kill()
            self.control.wait()
        stop_tmux_server(self.server)


def timed_screen(tmux: Tmux, command: str, env: dict[str, str],
                 marks: dict[str, Callable[[str], bool]]) -> dict[str, float]:
    """Start ``command`` in a new tmux pane; for each mark, seconds from start to the first capture of the
    pane that satisfies it."""
    session = f"s{time.monotonic_ns()}"
    # tmux gives the pane the server's environment, not ours: the command sets what the app must see.
    exports = " ".join(f"{k}={v}" for k, v in env.items())
    full = f"env -u COLUMNS -u LINES -u PYTHONDONTWRITEBYTECODE {exports} {command}"
    t0 = time.perf_counter()
    started = subprocess.run(["tmux", "-L", tmux.server, "-f", "/dev/null", "new-session", "-d", "-s", session,
                              "-x", SIZE[0], "-y", SIZE[1], full], capture_output=True, text=True)
    if started.returncode != 0:
        raise SystemExit(f"tmux could not start {command}: {started.stderr.strip()}")
    tmux("set-option", "-t", session, "remain-on-exit", "on")  # a crash stays on screen, for the message
    pid = int(tmux("display-message", "-p", "-t", session, "#{pane_pid}").strip() or 0)
    seen: dict[str, float] = {}
    shown = ""
    try:
        while not set(marks) <= set(seen):
            shown = tmux.screen(session)
            now = time.perf_counter() - t0
            for name, test in marks.items():
                if name not in seen and test(shown):
                    seen[name] = now
                    seen[f"{name}_cpu"] = cpu_seconds(pid)
            if now > TIMEOUT:
                raise SystemExit(f"{command}: {sorted(set(marks) - set(seen))} never seen; the screen:\n{shown}")
            time.sleep(POLL)
    finally:
        tmux("kill-session", "-t", session)
    return seen


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system, every thread) the process has used so far: unlike the wall clock, a
    busy machine barely moves it. NaN where /proc cannot tell."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def health_once(env: dict[str, str]) -> tuple[float, float]:
    """``factory-tui -i sandbox health --once`` with a pty for its terminal: seconds from start to exit,
    and the CPU seconds it used (its children's too)."""
    import pty

    full = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | env
    main, follower = pty.openpty()
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(BINARY), "-i", "sandbox", "health", "--once"], env=full,
                            stdin=follower, stdout=follower, stderr=follower, close_fds=True)
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the pty's last writer left
            break
        if not chunk:
            break
        out += chunk
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - t0
    proc.returncode = rc = os.waitstatus_to_exitcode(status)
    os.close(main)
    if rc not in (0, 1, 2) or b"pi3" not in out:
        raise SystemExit(f"health --once ended {rc}:\n{out.decode(errors='replace')}")
    return took, usage.ru_utime + usage.ru_stime


def non_blank(text: str) -> bool:
    return bool(text.strip())


def all_read(text: str) -> bool:
    return len(READING.findall(text)) >= 3


def one_round(tmux: Tmux, floor_script: Path, env: dict[str, str]) -> dict[str, float]:
    floor = timed_screen(tmux, f"{sys.executable} {floor_script}", env,
                         {"frame": lambda s: "floor: first frame" in s})
    app = timed_screen(tmux, f"{BINARY} -i sandbox", env, {"frame": non_blank, "readings": all_read})
    once, once_cpu = health_once(env)
    return {"floor": floor["frame"], "frame": app["frame"], "readings": app["readings"],
            "health_once": once, "health_once_cpu": once_cpu, "floor_cpu": floor["frame_cpu"],
            "frame_cpu": app["frame_cpu"], "readings_cpu": app["readings_cpu"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="counted runs of each figure (at least 5)")
    args = parser.parse_args()
    if args.runs < 5:
        parser.error("--runs must be at least 5: the figures are medians")
    if not shutil.which("tmux"):
        raise SystemExit("tmux is needed (scripts/setup.sh installs it)")
    from actions import sandbox

    work = Path(tempfile.mkdtemp(prefix="factory-bench-"))
    settings = make_settings(work / "state")
    env = {k: v for k, v in cli_env(settings).items() if k.startswith("FACTORY_")}
    floor_script = work / "floor.py"
    floor_script.write_text(FLOOR_APP)
    tmux = Tmux()
    tmux.start()
    print("starting a sandbox ...", file=sys.stderr)
    sandbox.up(settings)
    try:
        one_round(tmux, floor_script, env)  # not counted: writes .pyc files and the lab cache
        rounds: list[dict[str, float]] = []
        for n in range(args.runs):
            res = one_round(tmux, floor_script, env)
            rounds.append(res)
            print(f"run {n + 1}: floor {res['floor']:.3f}s, first frame {res['frame']:.3f}s, readings "
                  f"{res['readings']:.3f}s, health --once {res['health_once']:.3f}s "
                  f"({res['health_once_cpu']:.2f}s CPU); CPU used by then: floor "
                  f"{res['floor_cpu']:.2f}s, first frame {res['frame_cpu']:.2f}s, readings "
                  f"{res['readings_cpu']:.2f}s; load {os.getloadavg()[0]:.1f}")
        med = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
        floor = med["floor"]
        print(f"medians of {args.runs} runs, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores:")
        print(f"  floor (minimal Textual app, first frame): {floor:.3f} s")
        for key, label in (("frame", "first frame"), ("readings", "three Pis' readings")):
            ratio = med[key] / floor
            verdict = "met" if ratio <= TARGETS[key] else "NOT met"
            print(f"  {label + ':':<41} {med[key]:.3f} s = {ratio:.2f}x floor "
                  f"(target <= {TARGETS[key]}x: {verdict})")
        print(f"  CPU the process had used when the frame was seen (a busy machine moves it far less; an upper "
              "bound for the app, which works on after its first frame while the floor idles): floor "
              f"{med['floor_cpu']:.2f} s,\n    first frame {med['frame_cpu']:.2f} s = "
              f"{med['frame_cpu'] / med['floor_cpu']:.2f}x, readings {med['readings_cpu']:.2f} s = "
              f"{med['readings_cpu'] / med['floor_cpu']:.2f}x")
        verdict = "met" if med["health_once"] < HEALTH_ONCE_TARGET else "NOT met"
        print(f"  {'health --once, start to exit:':<41} {med['health_once']:.3f} s "
              f"(target < {HEALTH_ONCE_TARGET} s: {verdict}); CPU used: {med['health_once_cpu']:.2f} s")
    finally:
        tmux.stop()
        sandbox.down(settings, purge=True)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
