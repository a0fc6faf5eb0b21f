"""Live predicates: named checks over the lab's current state that lock and verify runbook steps.

Each predicate reads a :class:`Live` view (the latest health snapshot, Vault's seal status, the lab, and an
SSH runner for the few checks that need a command on a host) and answers a :class:`Check`: true, false,
or unknown, always with what it reads now, so a locked step can say why ("pi2 unreachable since 10:02").
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel

from actions.config import Settings
from actions.durations import ago_text, duration_text
from actions.health.offsite import STATUS_FILE as OFFSITE_STATUS_FILE
from actions.health.offsite import describe as describe_offsite
from actions.health.offsite import parse_offsite_status
from actions.lab import Lab


class Check(BaseModel):
    """One predicate's answer. ``ok`` is None when there is nothing to judge by yet."""

    name: str
    ok: bool | None
    reading: str

    @property
    def mark(self) -> str:
        """The result as a word: ``ok``, ``FAIL`` or ``?`` (unknown)."""
        return {True: "ok", False: "FAIL", None: "?"}[self.ok]


class VaultView(Protocol):
    """What the Vault predicates read of a seal status (``None``: not known from this reading)."""

    @property
    def initialized(self) -> bool | None:
        """Vault has been initialised (``None`` when unknown)."""

    @property
    def sealed(self) -> bool | None:
        """Vault is sealed (``None`` when unknown)."""


SshRunner = Callable[[str, str], Awaitable[tuple[int, str]]]


@dataclass
class Live:
    """What predicates may read. Any part may be missing; predicates then answer unknown."""

    settings: Settings
    lab: Lab | None = None
    snapshot: Any = None  # actions.health.models.Snapshot
    vault: VaultView | None = None
    vault_error: str | None = None
    ssh: SshRunner | None = None
    extra: dict[str, Any] = field(default_factory=dict)


PredicateFn = Callable[..., Awaitable[Check]]


@dataclass(frozen=True)
class Predicate:
    """A live check the runbooks can name: its function and the arguments it takes."""
    name: str
    fn: PredicateFn
    params: frozenset[str]
    required: frozenset[str]
    doc: str

    def check_args(self, args: dict[str, Any]) -> str | None:
        """What is wrong with ``args`` for this predicate (unknown or missing ones), or ``None``."""
        unknown = set(args) - self.params
        if unknown:
            return f"unknown argument(s) {', '.join(sorted(unknown))}"
        missing = self.required - set(args)
        if missing:
            return f"missing argument(s) {', '.join(sorted(missing))}"
        return None

    async def __call__(self, live: Live, args: dict[str, Any]) -> Check:
        try:
            return await self.fn(live, **args)
        except Exception as exc:  # a predicate must never take the screen down
            return Check(name=self.name, ok=None, reading=f"cannot evaluate: {exc}")


PREDICATES: dict[str, Predicate] = {}


def predicate(*required: str, optional: tuple[str, ...] = ()) -> Callable[[PredicateFn], PredicateFn]:
    """Register the decorated function as a predicate taking ``required`` and ``optional`` arguments."""
    def register(fn: PredicateFn) -> PredicateFn:
        PREDICATES[fn.__name__] = Predicate(
            fn.__name__, fn, frozenset(required) | frozenset(optional), frozenset(required),
            (fn.__doc__ or "").strip(),
        )
        return fn

    return register


def _hosts(live: Live, hosts: list[str] | str | None = None) -> list[Any]:
    """Host states from the snapshot, narrowed to names or groups."""
    if live.snapshot is None:
        return []
    states = list(live.snapshot.hosts)
    if not hosts:
        return states
    wanted = [hosts] if isinstance(hosts, str) else list(hosts)
    names: set[str] = set()
    for w in wanted:
        names |= set(live.lab.groups.get(w, [w])) if live.lab else {w}
    return [s for s in states if s.name in names]


def _clock(ts: float | None) -> str:
    return time.strftime("%H:%M:%S", time.localtime(ts)) if ts else "?"


def _no_snapshot(name: str) -> Check:
    return Check(name=name, ok=None, reading="no health reading yet")


def _stale(live: Live, state: Any) -> bool:
    # The health screen's rule: a reading older than two ticks is stale, never current.
    age = state.age()
    return age is None or age > 2 * live.settings.health.interval


# -- hosts -----------------------------------------------------------------------------------------------


@predicate(optional=("hosts",))
async def all_hosts_reachable(live: Live, hosts: list[str] | None = None) -> Check:
    """Every host (or the named hosts/groups) answers over SSH."""
    states = _hosts(live, hosts)
    if not states:
        return _no_snapshot("all_hosts_reachable")
    down = [s for s in states if s.connection != "up" or _stale(live, s)]
    if not down:
        return Check(name="all_hosts_reachable", ok=True, reading=f"{len(states)} hosts up")
    words = [f"{s.name} {s.connection} since {_clock(s.since)}" if s.connection != "up" else f"{s.name} stale"
             for s in down]
    return Check(name="all_hosts_reachable", ok=False, reading="; ".join(words))


@predicate(optional=("hosts",))
async def clock_synced(live: Live, hosts: list[str] | None = None) -> Check:
    """No host says NTP is unsynchronised, and every clock is within the critical offset of this machine.

    A host that cannot say (no systemd) is judged by its measured offset alone; with neither, unknown.
    """
    states = [s for s in _hosts(live, hosts) if s.reading is not None]
    if not states:
        return _no_snapshot("clock_synced")
    limit = live.settings.health.thresholds.clock_offset_crit_s
    bad: list[str] = []
    blind: list[str] = []
    no_ntp: list[str] = []
    for s in states:
        r = s.reading
        if r.ntp_synced is False:
            bad.append(f"{s.name} NTP not synchronised")
        if r.clock_offset_s is not None and abs(r.clock_offset_s) > limit:
            bad.append(f"{s.name} off by {r.clock_offset_s:+.1f}s")
        if r.ntp_synced is None:
            (blind if r.clock_offset_s is None else no_ntp).append(s.name)
    if bad:
        return Check(name="clock_synced", ok=False, reading="; ".join(bad))
    if blind:
        return Check(name="clock_synced", ok=None, reading=f"no NTP state or offset from {', '.join(blind)}")
    note = f" (NTP state unknown on {', '.join(no_ntp)})" if no_ntp else ""
    return Check(name="clock_synced", ok=True, reading=f"{len(states)} clocks within {limit:g}s{note}")


@predicate(optional=("hosts",))
async def no_undervoltage_now(live: Live, hosts: list[str] | None = None) -> Check:
    """No host reports under-voltage right now (vcgencmd get_throttled bit 0)."""
    states = [s for s in _hosts(live, hosts) if s.reading is not None]
    if not states:
        return _no_snapshot("no_undervoltage_now")
    bad = [s.name for s in states if s.reading.throttle and any("under-voltage" in c for c in s.reading.throttle.now)]
    if bad:
        return Check(name="no_undervoltage_now", ok=False, reading=f"under-voltage NOW on {', '.join(bad)}")
    unknown = [s.name for s in states if s.reading.throttle is None]
    note = f" (no vcgencmd on {', '.join(unknown)})" if unknown else ""
    return Check(name="no_undervoltage_now", ok=True, reading="no under-voltage" + note)


@predicate(optional=("hosts",))
async def k3s_service_active(live: Live, hosts: list[str] | None = None) -> Check:
    """The k3s (server) or k3s-agent unit is active on every host."""
    states = [s for s in _hosts(live, hosts) if s.reading is not None]
    if not states:
        return _no_snapshot("k3s_service_active")
    bad = []
    for s in states:
        units = {u.name: u.active for u in (s.reading.services or [])}
        active = [n for n in ("k3s", "k3s-agent") if units.get(n) == "active"]
        if not active:
            seen = ", ".join(f"{n} {units[n]}" for n in ("k3s", "k3s-agent") if n in units) or "no k3s unit"
            bad.append(f"{s.name}: {seen}")
    if bad:
        return Check(name="k3s_service_active", ok=False, reading="; ".join(bad))
    return Check(name="k3s_service_active", ok=True, reading=f"k3s active on {len(states)} hosts")


@predicate()
async def k3s_nodes_ready(live: Live) -> Check:
    """The k3s server lists every host of the lab as a Ready node."""
    states = [s for s in _hosts(live, "k3s_server") if s.reading is not None]
    if not states:
        return _no_snapshot("k3s_nodes_ready")
    reading = states[0].reading
    if not reading.nodes:
        return Check(name="k3s_nodes_ready", ok=False,
                     reading=f"{states[0].name}: {reading.kube_note or 'kubectl lists no nodes'}")
    expected = set(live.lab.host_names()) if live.lab else {n.name for n in reading.nodes}
    ready = {n.name for n in reading.nodes if n.ready}
    missing = sorted(expected - ready)
    if missing:
        return Check(name="k3s_nodes_ready", ok=False, reading=f"not Ready: {', '.join(missing)}")
    return Check(name="k3s_nodes_ready", ok=True, reading=f"{len(ready)} nodes Ready")


@predicate("host", "container")
async def container_running(live: Live, host: str, container: str) -> Check:
    """A docker container whose name contains ``container`` is running on ``host``."""
    name = f"container_running({host}, {container})"
    states = [s for s in _hosts(live, [host]) if s.reading is not None]
    if not states:
        return _no_snapshot(name)
    r = states[0].reading
    if r.containers is None:
        return Check(name=name, ok=False, reading=f"{host}: {r.docker_note or 'no docker'}")
    match = [c for c in r.containers if container in c.name]
    if not match:
        return Check(name=name, ok=False, reading=f"{host}: no container named like {container!r}")
    state = match[0].state
    return Check(name=name, ok=state == "running", reading=f"{host}: {match[0].name} {state}")


@predicate()
async def all_green(live: Live) -> Check:
    """Every host answers and is ok on every signal, and Vault is unsealed."""
    states = _hosts(live)
    if not states:
        return _no_snapshot("all_green")
    from actions.health.evaluate import failing, host_findings

    bad = []
    for s in states:
        status, findings = host_findings(s, live.settings.health.thresholds, live.settings.health.interval)
        if status.value != "ok":
            words = "; ".join(f.text for f in failing(findings))
            bad.append(f"{s.name} {status.value}: {words or s.connection}")
    vault = await vault_unsealed(live)
    if vault.ok is not True:
        bad.append(vault.reading)
    return Check(name="all_green", ok=not bad, reading="; ".join(bad) or "all hosts ok, Vault unsealed")


@predicate()
async def no_unexplained_changes(live: Live) -> Check:
    """Nothing differs from the last known-good snapshot that an operator has not accepted."""
    name = "no_unexplained_changes"
    if live.snapshot is None:
        return _no_snapshot(name)
    report_of = live.extra.get("known_good")
    if report_of is None:
        return Check(name=name, ok=None, reading="no journal of known-good snapshots here")
    report = report_of(live.snapshot)
    if report is None:
        return Check(name=name, ok=None, reading="the journal of known-good snapshots cannot be read")
    if report.known_good is None:
        return Check(name=name, ok=True, reading="no known-good snapshot to compare with")
    since = f"since known-good {report.known_good.id}"
    if not report.unexplained:
        accepted = f" ({len(report.accepted)} accepted)" if report.accepted else ""
        return Check(name=name, ok=True, reading=f"nothing unexplained {since}{accepted}")
    listed = "; ".join(c.text for c in report.unexplained)
    return Check(name=name, ok=False, reading=f"{len(report.unexplained)} unexplained {since}: {listed}")


# -- Vault -----------------------------------------------------------------------------------------------


def _vault(name: str, live: Live, want: Callable[[VaultView], bool]) -> Check:
    if live.vault is None:
        return Check(name=name, ok=None if live.vault_error is None else False,
                     reading=live.vault_error or "no Vault reading yet")
    v = live.vault
    error = getattr(v, "error", None)
    if error:
        return Check(name=name, ok=False, reading=f"Vault unreachable: {error}")
    state = "not initialised" if not v.initialized else ("sealed" if v.sealed else "unsealed")
    return Check(name=name, ok=want(v), reading=f"Vault {state}")


@predicate()
async def vault_reachable(live: Live) -> Check:
    """Vault answers its API."""
    return _vault("vault_reachable", live, lambda v: True)


@predicate()
async def vault_initialized(live: Live) -> Check:
    """Vault has been initialised."""
    return _vault("vault_initialized", live, lambda v: v.initialized is True)


@predicate()
async def vault_not_initialized(live: Live) -> Check:
    """Vault answers and has never been initialised (a bring-up)."""
    return _vault("vault_not_initialized", live, lambda v: not v.initialized)


@predicate()
async def vault_sealed(live: Live) -> Check:
    """Vault is initialised and sealed (after a restart)."""
    return _vault("vault_sealed", live, lambda v: bool(v.initialized and v.sealed))


@predicate()
async def vault_unsealed(live: Live) -> Check:
    """Vault is initialised and unsealed."""
    return _vault("vault_unsealed", live, lambda v: bool(v.initialized and not v.sealed))


# -- checks that run a command on a host ----------------------------------------------------------------


async def _on_host(live: Live, name: str, host: str, command: str) -> tuple[Check | None, int, str]:
    if live.ssh is None:
        return Check(name=name, ok=None, reading="no SSH runner"), 0, ""
    hosts = live.lab.groups.get(host, [host]) if live.lab else [host]
    rc, out = await live.ssh(hosts[0], command)
    return None, rc, out


async def _on_every_host(live: Live, name: str, hosts: list[str] | str, command: str, want: str,
                         good: str) -> Check:
    """Run ``command`` on every named host or group; each must print ``want`` as its last line."""
    if live.ssh is None:
        return Check(name=name, ok=None, reading="no SSH runner")
    names: list[str] = []
    for h in [hosts] if isinstance(hosts, str) else hosts:
        names += live.lab.groups.get(h, [h]) if live.lab else [h]
    bad = []
    for host in names:
        _rc, out = await live.ssh(host, command)
        got = (out.strip().splitlines() or ["unknown"])[-1]
        if got != want:
            bad.append(f"{host} {got}")
    return Check(name=name, ok=not bad, reading="; ".join(bad) or f"{good} on {', '.join(names)}")


@predicate("hosts", "unit")
async def service_active(live: Live, hosts: list[str] | str, unit: str) -> Check:
    """A systemd unit is active on every named host or group (e.g. the act-runner)."""
    return await _on_every_host(live, f"service_active({unit})", hosts,
                                f"systemctl is-active {unit} 2>/dev/null || true", "active", f"{unit} active")


@predicate(optional=("hosts",))
async def resolver_switched_over(live: Live, hosts: list[str] | str = "raspberries") -> Check:
    """Every host resolves through Pi-hole: system_dns wrote resolv.conf in `pihole` mode, not `bootstrap`."""
    # A resolv.conf without the mode comment was not written by system_dns: say so, not "".
    command = "m=$(sed -n 's/^# mode: \\([a-z]*\\).*/\\1/p' /etc/resolv.conf 2>/dev/null); echo \"${m:-unmanaged}\""
    return await _on_every_host(live, "resolver_switched_over", hosts, command, "pihole", "Pi-hole first")


@predicate(optional=("hosts", "path"))
async def ca_root_trusted(live: Live, hosts: list[str] | str = "raspberries",
                          path: str = "/usr/local/share/ca-certificates/step-ca-root.crt") -> Check:
    """step-ca's root certificate is in every host's trust store (system_ssl's first trust)."""
    command = f"if [ -s {path} ]; then echo trusted; else echo 'missing {path}'; fi"
    return await _on_every_host(live, "ca_root_trusted", hosts, command, "trusted", "step-ca root trusted")


@predicate("host", optional=("port",))
async def postgres_ready(live: Live, host: str, port: int = 5432) -> Check:
    """PostgreSQL on ``host`` accepts connections over TCP (``pg_isready``): the compose container's
    published port on the lab, the Debian package's on a rehearsal host."""
    name = f"postgres_ready({host})"
    early, rc, out = await _on_host(live, name, host, f"pg_isready -h 127.0.0.1 -p {int(port)} 2>&1")
    if early:
        return early
    reading = (out.strip().splitlines() or [f"pg_isready exited {rc}"])[-1]
    return Check(name=name, ok=rc == 0, reading=f"{host}: {reading}")


@predicate(optional=("host", "path", "max_age_hours"))
async def backup_fresh(live: Live, host: str = "backup_target", path: str = "/mnt/backups",
                       max_age_hours: float = 26) -> Check:
    """A backup file younger than ``max_age_hours`` exists under ``path`` on the backup host."""
    name = "backup_fresh"
    minutes = int(max_age_hours * 60)
    cmd = f"find {path} -type f -mmin -{minutes} -printf '%T@ %s %p\\n' 2>/dev/null | sort -n | tail -1"
    early, _rc, out = await _on_host(live, name, host, cmd)
    if early:
        return early
    line = out.strip()
    if not line:
        return Check(name=name, ok=False, reading=f"no backup under {path} newer than {max_age_hours:g}h")
    stamp, size, file = line.split(" ", 2)
    return Check(name=name, ok=True, reading=f"{file} ({int(size) // 1024} KiB, {_clock(float(stamp))})")


@predicate(optional=("host", "path", "max_age_hours"))
async def offsite_fresh(live: Live, host: str = "backup_target", path: str = OFFSITE_STATUS_FILE,
                        max_age_hours: float = 26) -> Check:
    """The last off-site copy succeeded less than ``max_age_hours`` ago (the copy's status file)."""
    name = "offsite_fresh"
    early, _rc, out = await _on_host(live, name, host, f"cat {path} 2>/dev/null")
    if early:
        return early
    status = parse_offsite_status(out)
    age = status.age(time.time()) if status else None
    fresh = status is not None and status.ok and age is not None and age <= max_age_hours * 3600
    return Check(name=name, ok=fresh, reading=describe_offsite(status, time.time()))


async def _kubectl(live: Live, name: str, args: str) -> tuple[Check | None, Any]:
    early, rc, out = await _on_host(live, name, "k3s_server", f"k3s kubectl {args} -o json 2>&1")
    if early:
        return early, None
    if rc != 0:
        return Check(name=name, ok=False, reading=(out.strip().splitlines() or ["kubectl failed"])[-1]), None
    try:
        return None, json.loads(out)
    except ValueError:
        return Check(name=name, ok=False, reading="kubectl answered something that is not JSON"), None


@predicate()
async def longhorn_volumes_healthy(live: Live) -> Check:
    """Every Longhorn volume reports robustness `healthy`."""
    name = "longhorn_volumes_healthy"
    early, doc = await _kubectl(live, name, "-n longhorn-system get volumes.longhorn.io")
    if early:
        return early
    items = doc.get("items", [])
    bad = [f"{v['metadata']['name']} {v.get('status', {}).get('robustness', '?')}" for v in items
           if v.get("status", {}).get("robustness") != "healthy"]
    return Check(name=name, ok=bool(items) and not bad,
                 reading="; ".join(bad) or (f"{len(items)} volumes healthy" if items else "no volumes"))


@predicate(optional=("namespace",))
async def argocd_ready(live: Live, namespace: str = "argocd") -> Check:
    """Every Argo CD deployment has all its replicas available."""
    name = "argocd_ready"
    early, doc = await _kubectl(live, name, f"-n {namespace} get deployments")
    if early:
        return early
    items = doc.get("items", [])
    bad = [d["metadata"]["name"] for d in items
           if d.get("status", {}).get("availableReplicas", 0) < d.get("spec", {}).get("replicas", 1)]
    return Check(name=name, ok=bool(items) and not bad,
                 reading=f"not available: {', '.join(bad)}" if bad else f"{len(items)} deployments available")


@predicate("root")
async def tofu_plan_fresh(live: Live, root: str) -> Check:
    """The root has a plan made within the max plan age that did not fail (a review can rely on it)."""
    from actions.tofu.store import load_record

    name = f"tofu_plan_fresh({root})"
    record = load_record(live.settings, root)
    if record is None:
        return Check(name=name, ok=False, reading=f"{root} was never planned here")
    age = record.age()
    limit = live.settings.tofu.plan_max_age_minutes * 60
    counts = record.counts.line() if record.counts else record.status
    if record.status in ("failed", "cancelled", "apply-failed"):
        return Check(name=name, ok=False, reading=f"last plan {record.status}: {record.message[:120]}")
    if age.total_seconds() > limit:
        return Check(name=name, ok=False, reading=f"last plan is {duration_text(age.total_seconds())} old; plan again")
    return Check(name=name, ok=True, reading=f"planned {ago_text(age.total_seconds())}: {counts}")


# -- the control machine ---------------------------------------------------------------------------------


@predicate("tools")
async def tools_installed(live: Live, tools: list[str]) -> Check:
    """Each named tool is on PATH (``tofu|terraform`` means either)."""
    missing = [t for t in tools if not any(shutil.which(alt) for alt in t.split("|"))]
    return Check(name="tools_installed", ok=not missing,
                 reading=f"missing: {', '.join(missing)}" if missing else f"found {', '.join(tools)}")


@predicate()
async def ssh_key_present(live: Live) -> Check:
    """Every host's private key (from the inventory, else ~/.ssh/id_*) exists, or an agent is running."""
    import os

    if os.environ.get("SSH_AUTH_SOCK"):
        return Check(name="ssh_key_present", ok=True, reading="ssh agent available")
    keys = {h.key_file for h in live.lab.hosts if h.key_file} if live.lab else set()
    if not keys:
        keys = {p for p in (Path.home() / ".ssh").glob("id_*") if p.suffix != ".pub"}
    present = [k for k in keys if k.is_file()]
    return Check(name="ssh_key_present", ok=bool(present) and len(present) == len(keys),
                 reading=", ".join(str(k) for k in sorted(keys)) or "no key in ~/.ssh and no agent")


@predicate()
async def inventory_parses(live: Live) -> Check:
    """The inventory loads through Ansible and lists hosts."""
    if live.lab is None:
        return Check(name="inventory_parses", ok=False, reading=live.extra.get("lab_error", "no inventory"))
    return Check(name="inventory_parses", ok=True,
                 reading=f"{live.lab.inventory}: {len(live.lab.hosts)} hosts")


async def evaluate(live: Live, refs: list[Any]) -> list[Check]:
    """Evaluate predicate references in order (they are few; SSH-backed ones reuse one connection)."""
    out = []
    for ref in refs:
        out.append(await PREDICATES[ref.name](live, dict(ref.args)))
    return out
