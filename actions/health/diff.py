"""What changed since the last known-good: two sets of fingerprints compared, host by host, item by item.

Each difference is one :class:`Change` with a line the operator reads ("pi2: container gitea gone") and a
stable :attr:`Change.key` (host, item and the value now), by which an accepted difference is remembered:
if the item changes again, the new difference is unexplained again.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from actions.health.models import Fingerprint

#: Disk use moves a little every day; only a move of this many points is a difference.
DISK_STEP_PCT = 10.0

Kind = Literal["appeared", "gone", "changed"]


class Change(BaseModel):
    """One difference between the known-good fingerprint of a host and its fingerprint now."""

    host: str
    item: str
    kind: Kind
    before: str | None = None
    after: str | None = None
    text: str

    @property
    def key(self) -> str:
        """What identifies this difference when it is accepted (``host|item|after``)."""
        return f"{self.host}|{self.item}|{self.after or ''}"


def _c(host: str, item: str, kind: Kind, text: str, before: object = None, after: object = None) -> Change:
    return Change(
        host=host, item=item, kind=kind, text=f"{host}: {text}",
        before=None if before is None else str(before), after=None if after is None else str(after),
    )


def _value(host: str, item: str, label: str, old: str | None, new: str | None) -> list[Change]:
    if old == new:
        return []
    if new is None:
        return [_c(host, item, "gone", f"{label} gone (was {old})", old, None)]
    if old is None:
        return [_c(host, item, "appeared", f"{label} {new} appeared", None, new)]
    return [_c(host, item, "changed", f"{label} {old} -> {new}", old, new)]


def _unreadable(host: str, item: str, label: str, old: object, new: object) -> list[Change]:
    """A signal the known-good had and that cannot be read now (docker down, k3s gone, no systemd)."""
    if old is not None and new is None:
        return [_c(host, item, "gone", f"{label} cannot be read now", "readable", None)]
    return []


def _sets(host: str, item: str, old: list[str], new: list[str], gone: str, appeared: str) -> list[Change]:
    out = [_c(host, f"{item} {x}", "gone", gone.format(x), x, None) for x in sorted(set(old) - set(new))]
    out += [_c(host, f"{item} {x}", "appeared", appeared.format(x), None, x) for x in sorted(set(new) - set(old))]
    return out


def _maps(host: str, item: str, old: dict[str, str], new: dict[str, str], gone: str, appeared: str,
          changed: str) -> list[Change]:
    out = _sets(host, item, list(old), list(new), gone, appeared)
    for name in sorted(set(old) & set(new)):
        if old[name] != new[name]:
            out.append(_c(host, f"{item} {name}", "changed", changed.format(name, old[name], new[name]),
                          old[name], new[name]))
    return out


def host_changes(host: str, old: Fingerprint, new: Fingerprint) -> list[Change]:
    """Every difference of one host, in a stable order."""
    out = _value(host, "kernel", "kernel", old.kernel, new.kernel)
    out += _value(host, "os", "OS", old.os_release, new.os_release)
    out += _value(host, "k3s", "k3s", old.k3s_version, new.k3s_version)
    out += _unreadable(host, "nodes", "k3s nodes", old.nodes_ready, new.nodes_ready)
    if old.nodes_ready is not None and new.nodes_ready is not None:
        ready = {True: "Ready", False: "not Ready"}
        out += _maps(host, "node", {k: ready[v] for k, v in old.nodes_ready.items()},
                     {k: ready[v] for k, v in new.nodes_ready.items()},
                     "k3s node {} gone", "new k3s node {}", "k3s node {} {} -> {}")
    out += _unreadable(host, "units", "systemd units", old.failed_units, new.failed_units)
    if new.failed_units is not None:
        out += _sets(host, "failed unit", old.failed_units or [], new.failed_units,
                     "unit {} no longer failed", "new failed unit {}")
    out += _unreadable(host, "containers", "containers", old.containers, new.containers)
    if old.containers is not None and new.containers is not None:
        out += _maps(host, "container", old.containers, new.containers,
                     "container {} gone", "new container {}", "container {} image {} -> {}")
    out += _maps(host, "mount", old.mounts, new.mounts, "{} not mounted", "{} newly mounted",
                 "{} filesystem {} -> {}")
    for mount in sorted(set(old.disk_used_pct) & set(new.disk_used_pct)):
        a, b = old.disk_used_pct[mount], new.disk_used_pct[mount]
        if abs(b - a) >= DISK_STEP_PCT:
            out.append(_c(host, f"disk {mount}", "changed", f"disk {mount} {a:.0f}% -> {b:.0f}% used",
                          f"{a:.0f}%", f"{b:.0f}%"))
    out += _sets(host, "listening", old.listening, new.listening,
                 "nothing listens on {} any more", "new listener on {}")
    new_bits = sorted(set(new.throttled_since_boot or []) - set(old.throttled_since_boot or []))
    if new_bits:
        bits = ", ".join(new_bits)
        out.append(_c(host, "throttled", "appeared", f"throttled since boot: {bits}", None, bits))
    if old.packages_hash != new.packages_hash and new.packages_hash is not None:
        out.append(_c(host, "packages", "changed", f"packages changed ({old.packages} -> {new.packages} installed)",
                      old.packages_hash, new.packages_hash))
    return out


def diff(known_good: dict[str, Fingerprint], now: dict[str, Fingerprint | None]) -> list[Change]:
    """Every difference, host by host; a host without a fingerprint now, or without a known-good one, is
    itself a difference."""
    out: list[Change] = []
    for host in sorted(set(known_good) | set(now)):
        old, new = known_good.get(host), now.get(host)
        if old is None:
            out.append(_c(host, "host", "appeared", "new host, not in the known-good snapshot", None, host))
        elif new is None:
            out.append(_c(host, "host", "gone", "no fingerprint now (unreachable, or not read yet)", host, None))
        else:
            out += host_changes(host, old, new)
    return out
