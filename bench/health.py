"""The health poller against real sshd: one full refresh of N hosts, against the same probe through
`ansible all -m shell` in the same run, and the probe's own CPU time per tick.

Two lab sizes: the sandbox's three hosts, and 50 hosts (one extra sshd, made like the sandbox's, listening
on 127.0.2.1-50). Two ways to send the probe are timed on the same open connections: the chosen one (one
long-lived remote shell per host, fed one line per tick) and a new exec channel per host per tick.

Targets: 3 hosts under 50 ms, 50 hosts under 500 ms, at least 20x faster than ansible ad hoc; the probe
well under 1% of a CPU at the default 2 s interval.

Usage: python bench/health.py [--ticks N] [--hosts 3,50] [--ansible-runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from actions import sandbox
from actions.health.poller import Poller
from actions.health.session import probe_script
from actions.lab import Host, load_lab
from actions.sandbox import sshd
from actions.sandbox.procs import stop_tree, wait_port
from bench.stopping import signals_held, stops_on_signals
from tests.conftest import free_port, make_settings

DEFAULT_INTERVAL = 2.0


#: OpenSSH's sshd takes at most 16 listen sockets (MAX_LISTEN_SOCKS).
SOCKETS_PER_SSHD = 16


def start_wide_sshd(
    d: Path, count: int, stack: contextlib.ExitStack
) -> tuple[list[subprocess.Popen[bytes]], int, Path]:
    """More sshd like the sandbox's pi1, listening on 127.0.2.1..count (16 addresses each), one port; each
    one's stop goes on ``stack`` as soon as it has started."""
    port = free_port()
    base = (d / "sshd_pi1.conf").read_text()
    key = d / "ssh_host_bench_ed25519"
    pub = sshd.ensure_key(key)
    procs: list[subprocess.Popen[bytes]] = []
    for first in range(1, count + 1, SOCKETS_PER_SSHD):
        last = min(count, first + SOCKETS_PER_SSHD - 1)
        lines = []
        for line in base.splitlines():
            if line.startswith("ListenAddress"):
                lines += [f"ListenAddress 127.0.2.{i}:{port}" for i in range(first, last + 1)]
            elif line.startswith("HostKey"):
                lines.append(f"HostKey {key}")
            elif line.startswith("PidFile"):
                lines.append(f"PidFile {d / f'sshd_bench_{first}.pid'}")
            else:
                lines.append(line)
        conf = d / f"sshd_bench_{first}.conf"
        conf.write_text("\n".join(lines) + "\n")
        log = d / f"sshd_bench_{first}.log"
        with signals_held():
            proc = sshd.start(sshd.find_sshd(), conf, log)
            stack.callback(stop_tree, proc.pid)
        procs.append(proc)
        if not wait_port(f"127.0.2.{last}", port, 10, alive=proc.pid):
            raise SystemExit(f"bench sshd did not start: {log.read_text()[-500:]}")
    known = d / "known_hosts_bench"
    known.write_text("".join(sshd.known_hosts_line(f"127.0.2.{i}", port, pub) + "\n" for i in range(1, count + 1)))
    return procs, port, known


def wide_hosts(template: Host, known: Path, count: int, port: int) -> list[Host]:
    return [
        template.model_copy(update={"name": f"h{i:02d}", "address": f"127.0.2.{i}", "port": port,
                                    "known_hosts": known, "groups": []})
        for i in range(1, count + 1)
    ]


def write_inventory(path: Path, hosts: list[Host]) -> None:
    lines = ["all:", "  hosts:"]
    for h in hosts:
        lines += [
            f"    {h.name}:",
            f"      ansible_host: {h.address}",
            f"      ansible_port: {h.port}",
            f"      ansible_user: {h.user}",
            f"      ansible_ssh_private_key_file: {h.key_file}",
            f"      ansible_ssh_common_args: -o UserKnownHostsFile={h.known_hosts} -o StrictHostKeyChecking=yes",
        ]
    lines.append("  vars: {ansible_python_interpreter: auto_silent}")
    path.write_text("\n".join(lines) + "\n")


def ansible_refresh(hosts: list[Host], work: Path, runs: int) -> float:
    """Best wall time of the same probe through `ansible all -m shell`, forks = hosts."""
    inv = work / f"inventory_{len(hosts)}.yml"
    write_inventory(inv, hosts)
    binary = shutil.which("ansible") or str(Path(sys.executable).parent / "ansible")
    env = dict(os.environ, ANSIBLE_HOME=str(work / "ansible_home"), ANSIBLE_HOST_KEY_CHECKING="True")
    cmd = [binary, "all", "-i", str(inv), "-f", str(len(hosts)), "-m", "shell",
           # As JSON, so no line is taken for a key=value option; {% raw %}: the docker format strings
           # in the probe are not Jinja for Ansible to expand.
           "-a", json.dumps({"cmd": "{% raw %}" + probe_script() + "\n__fp 1 fast{% endraw %}"})]
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        elapsed = time.perf_counter() - t0
        ok = len(re.findall(r"\| CHANGED \| rc=0", proc.stdout))
        if ok != len(hosts):
            raise SystemExit(f"ansible probed {ok} of {len(hosts)} hosts:\n{proc.stdout[-1500:]}{proc.stderr[-800:]}")
        best = min(best, elapsed)
    return best


async def poller_refresh(hosts: list[Host], ticks: int, mode: str) -> tuple[list[float], list[float], Poller]:
    """Times of full refreshes (every host, one round trip each) on kept-open shells; and of the same
    probe over a new exec channel per host per tick, on the same connections."""
    slow_every = 1 if mode == "slow" else 10**9
    poller = Poller(hosts, interval=DEFAULT_INTERVAL, connect_timeout=20, slow_every=slow_every,
                    kube_every=10**9)
    snap = await poller.once(timeout=120)
    down = [h.name for h in snap.hosts if h.connection != "up"]
    if down:
        raise SystemExit(f"not connected: {down}: {[h.last_error for h in snap.hosts if h.last_error][:3]}")
    shell_times: list[float] = []
    cpu0 = time.process_time()
    for _ in range(ticks):
        t0 = time.perf_counter()
        await poller.tick()
        shell_times.append(time.perf_counter() - t0)
    poller.client_cpu = (time.process_time() - cpu0) / ticks  # type: ignore[attr-defined]
    exec_cmd = f"sh -c {_quote(probe_script() + chr(10) + '__fp 1 ' + mode)}"
    conns = [ln.shell.conn for ln in poller.links if ln.shell is not None]
    exec_times: list[float] = []
    for _ in range(max(3, ticks // 4)):
        t0 = time.perf_counter()
        results = await asyncio.gather(*(c.run(exec_cmd) for c in conns))
        exec_times.append(time.perf_counter() - t0)
        assert all("@@end 1" in str(r.stdout) for r in results)
    return shell_times, exec_times, poller


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def ms(values: list[float]) -> str:
    q = statistics.quantiles(values, n=10) if len(values) >= 2 else values
    return f"median {statistics.median(values) * 1000:.1f} ms, p90 {q[-1] * 1000:.1f} ms"


def cpu_per_tick(poller: Poller) -> float:
    values = [ln.cpu_per_tick for ln in poller.links if ln.cpu_per_tick is not None]
    return statistics.mean(values) if values else float("nan")


async def bench(hosts: list[Host], ticks: int) -> dict[str, object]:
    fast, exec_fast, p_fast = await poller_refresh(hosts, ticks, "fast")
    cpu_fast = cpu_per_tick(p_fast)
    client_cpu = p_fast.client_cpu  # type: ignore[attr-defined]
    await p_fast.close()
    slow, _, p_slow = await poller_refresh(hosts, max(5, ticks // 4), "slow")
    cpu_slow = cpu_per_tick(p_slow)
    await p_slow.close()
    return {"fast": fast, "exec": exec_fast, "slow": slow, "cpu_fast": cpu_fast, "cpu_slow": cpu_slow,
            "client_cpu": client_cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ticks", type=int, default=40, help="refreshes timed per lab size")
    parser.add_argument("--hosts", default="3,50", help="lab sizes, comma separated (3 and/or 50)")
    parser.add_argument("--ansible-runs", type=int, default=2, help="ansible runs per size (best is kept)")
    args = parser.parse_args()
    sizes = [int(x) for x in args.hosts.split(",")]
    # The hosts are loopback sshd on this same machine: their work competes with the client's.
    print(f"load average before: {' '.join(f'{v:.1f}' for v in os.getloadavg())} on {os.cpu_count()} CPUs")
    # The temporary directory goes last: the servers started in it are stopped first.
    with tempfile.TemporaryDirectory() as tmp, stops_on_signals() as stack:
        work = Path(tmp)
        settings = make_settings(work / "state")
        print("starting the sandbox ...", flush=True)
        stack.callback(sandbox.down, settings, purge=True)  # before up: a signal may come half-way through
        st = sandbox.up(settings)
        wide: list[subprocess.Popen[bytes]] = []
        lab = load_lab(st.inventory)
        for size in sizes:
            if size <= len(lab.hosts):
                hosts = lab.hosts[:size]
            else:
                wide, port, known = start_wide_sshd(settings.sandbox_dir, size, stack)
                hosts = wide_hosts(lab.hosts[0], known, size, port)
            r = asyncio.run(bench(hosts, args.ticks))
            ans = ansible_refresh(hosts, work, args.ansible_runs)
            fast = r["fast"]
            assert isinstance(fast, list)
            med = statistics.median(fast)
            print(f"\n== {size} hosts ==")
            print(f"poller, long-lived shell, fast tick : {ms(fast)} over {len(fast)} refreshes")
            print(f"poller, long-lived shell, slow tick : {ms(r['slow'])}  (df, timedatectl, systemctl, docker)")  # type: ignore[arg-type]
            print(f"  this machine's CPU for it (client) : {float(r['client_cpu']) * 1000:.1f} ms per refresh")  # type: ignore[arg-type]
            print(f"same probe, new exec channel a tick : {ms(r['exec'])}")  # type: ignore[arg-type]
            print(f"ansible all -m shell (forks {size:>2})   : best {ans * 1000:.0f} ms")
            print(f"ratio ansible / poller (median)     : {ans / med:.0f}x")
            cf, cs = float(r["cpu_fast"]), float(r["cpu_slow"])  # type: ignore[arg-type]
            mix = (cf * 4 + cs) / 5
            print(f"probe CPU per tick (shell+children) : fast {cf * 1000:.2f} ms, slow {cs * 1000:.2f} ms; "
                  f"default cadence (slow 1 in 5) {mix * 1000:.2f} ms = {100 * mix / DEFAULT_INTERVAL:.2f}% "
                  f"of one CPU at {DEFAULT_INTERVAL:g} s")
            for proc in wide:
                stop_tree(proc.pid)
            wide = []


if __name__ == "__main__":
    main()
