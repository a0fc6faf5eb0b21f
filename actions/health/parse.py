"""Pure parsers: the probe's raw output (sections led by ``@@name``) into a :class:`Reading`.

Each parser takes the text of its section and returns the typed value or ``None`` when the host does
not have the signal. Nothing here does I/O, so recorded outputs of real Pis test it directly.
"""

from __future__ import annotations

import json
import re

from actions.health import fingerprint
from actions.health.models import BackupFile, Container, Disk, Node, Reading, Service, Throttle
from actions.health.offsite import OffsiteStatus, parse_offsite_status
from actions.keyvalue import key_value_lines

# vcgencmd get_throttled bits (Raspberry Pi firmware documentation).
THROTTLE_BITS = {
    0: "under-voltage",
    1: "ARM frequency capped",
    2: "throttling",
    3: "soft temperature limit",
}
SINCE_BOOT_SHIFT = 16


class ProbeError(ValueError):
    """The output is not a complete probe answer."""


def split_sections(raw: str) -> dict[str, str]:
    """``{"loadavg": "0.1 0.2 ...", "t0": "1700000000.1", ...}``; a value on the ``@@`` line is kept."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in raw.splitlines():
        if line.startswith("@@"):
            name, _, rest = line[2:].partition(" ")
            current = sections.setdefault(name, [])
            if rest:
                current.append(rest)
        elif current is not None:
            current.append(line)
    return {name: "\n".join(lines).strip() for name, lines in sections.items()}


def parse_throttled(text: str) -> Throttle | None:
    """``throttled=0x50005`` -> under-voltage and throttling now, and since boot."""
    match = re.search(r"throttled=(0x[0-9a-fA-F]+|\d+)", text)
    if not match:
        return None
    raw = int(match.group(1), 0)
    now = [name for bit, name in THROTTLE_BITS.items() if raw & (1 << bit)]
    since = [name for bit, name in THROTTLE_BITS.items() if raw & (1 << (bit + SINCE_BOOT_SHIFT))]
    return Throttle(raw=raw, now=now, since_boot=since)


def parse_temp(text: str) -> tuple[float, str] | None:
    """``zone 48312`` (millidegrees from the thermal zone) or ``vcgencmd temp=48.3'C``."""
    text = text.strip()
    if text.startswith("zone "):
        try:
            return int(text.split()[1]) / 1000.0, "thermal_zone0"
        except (IndexError, ValueError):
            return None
    match = re.search(r"temp=([-\d.]+)", text)
    if match:
        return float(match.group(1)), "vcgencmd"
    return None


def parse_loadavg(text: str) -> tuple[float, float, float] | None:
    """The three load averages of ``/proc/loadavg``, or ``None``."""
    parts = text.split()
    try:
        return float(parts[0]), float(parts[1]), float(parts[2])
    except (IndexError, ValueError):
        return None


def parse_meminfo(text: str) -> tuple[int | None, int | None]:
    """(MemTotal, MemAvailable) in kB from ``/proc/meminfo`` lines."""
    values: dict[str, int] = {}
    for line in text.splitlines():
        parts = line.replace(":", " ").split()
        if len(parts) >= 2 and parts[1].isdigit():
            values[parts[0]] = int(parts[1])
    return values.get("MemTotal"), values.get("MemAvailable")


def parse_df(text: str) -> list[Disk]:
    """``path P`` lines naming the asked paths in order, then ``df -P -k`` output (one row per path)."""
    paths: list[str] = []
    rows: list[list[str]] = []
    for line in text.splitlines():
        if line.startswith("path "):
            paths.append(line[5:].strip())
        elif line.startswith("Filesystem") or not line.strip():
            continue
        else:
            rows.append(line.split())
    disks: list[Disk] = []
    for path, row in zip(paths, rows, strict=False):
        if len(row) < 6:
            continue
        try:
            size, used, avail = int(row[1]), int(row[2]), int(row[3])
        except ValueError:
            continue
        disks.append(Disk(path=path, mount=" ".join(row[5:]), size_kb=size, used_kb=used, available_kb=avail))
    return disks


def parse_ntp(text: str) -> bool | None:
    """timedatectl's NTPSynchronized; ``container`` (the machine's own clock, offset still checked) is synced."""
    value = text.strip().lower()
    if value in ("yes", "true", "1", "container"):
        return True
    if value in ("no", "false", "0"):
        return False
    return None


def parse_services(text: str) -> list[Service]:
    """``systemctl show -p Id,LoadState,ActiveState,SubState`` blocks; units not installed are left out."""
    services: list[Service] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        fields = key_value_lines(block)
        if fields.get("LoadState") != "loaded":
            continue
        name = fields.get("Id", "?").removesuffix(".service")
        services.append(Service(name=name, active=fields.get("ActiveState", "?"), sub=fields.get("SubState", "")))
    return services


def _rc_and_body(text: str) -> tuple[int, str]:
    first, _, body = text.partition("\n")
    match = re.fullmatch(r"rc (\d+)", first.strip())
    return (int(match.group(1)), body) if match else (0, text)


def parse_docker(text: str) -> tuple[list[Container] | None, str | None]:
    """``rc N`` then the engine API's JSON or ``name|state|image|status`` lines (docker CLI; older probes
    wrote ``name|state|status``); a failing docker gives a note instead of containers."""
    rc, body = _rc_and_body(text)
    if rc != 0:
        lines = [line for line in body.splitlines() if line.strip()]
        return None, f"docker unavailable: {lines[0] if lines else f'exit {rc}'}"
    if body.lstrip().startswith(("[", "{")):
        return _docker_api(body)
    containers: list[Container] = []
    for line in body.splitlines():
        parts = line.split("|", 3)
        if len(parts) == 4 and parts[0]:
            containers.append(Container(name=parts[0], state=parts[1], image=parts[2], status=parts[3]))
        elif len(parts) >= 2 and parts[0]:
            containers.append(Container(name=parts[0], state=parts[1], status="|".join(parts[2:])))
    return containers, None


def _docker_api(body: str) -> tuple[list[Container] | None, str | None]:
    """The engine API's ``GET /containers/json?all=1`` (what the probe reads through curl)."""
    try:
        doc = json.loads(body)
    except json.JSONDecodeError:
        return None, "docker unavailable: the engine did not answer JSON"
    if isinstance(doc, dict):
        return None, f"docker unavailable: {doc.get('message', 'unexpected answer')}"
    containers = [
        Container(
            name=str((item.get("Names") or ["?"])[0]).lstrip("/"),
            state=str(item.get("State", "?")),
            status=str(item.get("Status", "")),
            image=str(item.get("Image", "")),
        )
        for item in doc
        if isinstance(item, dict)
    ]
    return containers, None


def parse_nodes(text: str) -> tuple[list[Node] | None, str | None]:
    """``rc N`` then the JSON of ``kubectl get nodes -o json``."""
    rc, body = _rc_and_body(text)
    if rc != 0:
        lines = [line for line in body.splitlines() if line.strip()]
        return None, f"k3s nodes unavailable: {lines[0] if lines else f'exit {rc}'}"
    try:
        doc = json.loads(body)
    except json.JSONDecodeError:
        return None, "k3s nodes unavailable: kubectl did not print JSON"
    nodes: list[Node] = []
    for item in doc.get("items", []):
        name = item.get("metadata", {}).get("name", "?")
        ready = next((c for c in item.get("status", {}).get("conditions", []) if c.get("type") == "Ready"), None)
        if ready is None:
            nodes.append(Node(name=name, ready=False, reason="no Ready condition"))
        else:
            ok = ready.get("status") == "True"
            nodes.append(Node(name=name, ready=ok, reason="" if ok else str(ready.get("reason") or "NotReady")))
    return nodes, None


def parse_backups(text: str) -> tuple[str | None, list[BackupFile], str | None]:
    """``root DIR``, ``find -printf '%T@ %s %p'`` lines, then ``rc N`` -> (the root looked in, the files
    found, a note when find could not read everything)."""
    root: str | None = None
    files: list[BackupFile] = []
    note: str | None = None
    for line in text.splitlines():
        if line.startswith("root "):
            root = line[5:].strip()
            continue
        rc = re.fullmatch(r"rc (\d+)", line.strip())
        if rc:
            if rc.group(1) != "0":
                note = f"some backup directories under {root} cannot be read (find exited {rc.group(1)})"
            continue
        parts = line.strip().split(" ", 2)
        if len(parts) != 3:
            continue
        try:
            files.append(BackupFile(mtime=float(parts[0]), size=int(parts[1]), path=parts[2]))
        except ValueError:
            continue
    return root, files, note


def parse_offsite(text: str) -> tuple[str | None, OffsiteStatus | None, str | None]:
    """``file PATH``, then ``absent`` or the status file's lines and ``rc N`` -> (the file looked at, the
    last copy it records, a note when it could not be read)."""
    lines = text.splitlines()
    file = next((line[5:].strip() for line in lines if line.startswith("file ")), None)
    rc = next((m.group(1) for line in lines if (m := re.fullmatch(r"rc (\d+)", line.strip()))), None)
    if rc is not None and rc != "0":
        return file, None, f"the off-site status {file} cannot be read (cat exited {rc})"
    return file, parse_offsite_status(text), None


def parse_times(text: str) -> float | None:
    """Sum of the two lines of the shell's ``times``: its own and its children's user+system CPU."""
    total = 0.0
    found = False
    for match in re.finditer(r"(\d+)m([\d.]+)s", text):
        total += int(match.group(1)) * 60 + float(match.group(2))
        found = True
    return total if found else None


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def parse_probe(raw: str, sent_at: float, received_at: float) -> Reading:
    """One probe answer into a :class:`Reading`.

    ``sent_at``/``received_at`` are this machine's clock around the round trip; with the probe's own start
    and end times they give, as NTP does, the clock offset and the network round trip without the probe's
    run time.
    """
    s = split_sections(raw)
    if "end" not in s:
        raise ProbeError("probe output has no end marker")
    t0, t1 = _float(s.get("t0")), _float(s.get("t1"))
    total = received_at - sent_at
    offset = None
    rtt = total
    if t0 is not None and t1 is not None:
        offset = ((t0 - sent_at) + (t1 - received_at)) / 2.0
        rtt = max(0.0, total - (t1 - t0))
    mem_total, mem_avail = parse_meminfo(s.get("meminfo", ""))
    temp = parse_temp(s.get("temp", ""))
    cores = s.get("nproc", "").strip()
    reading = Reading(
        taken_at=received_at,
        rtt_ms=rtt * 1000.0,
        probe_ms=total * 1000.0,
        clock_offset_s=offset,
        uptime_s=_float(s.get("uptime")),
        load=parse_loadavg(s.get("loadavg", "")),
        cores=int(cores) if cores.isdigit() else None,
        temp_c=temp[0] if temp else None,
        temp_source=temp[1] if temp else None,
        throttle=parse_throttled(s.get("throttled", "")),
        mem_total_kb=mem_total,
        mem_available_kb=mem_avail,
        probe_cpu_s=parse_times(s.get("times", "")),
        raw=raw,
    )
    if "df" in s:
        reading.slow_at = received_at
        reading.disks = parse_df(s["df"])
        reading.ntp_synced = parse_ntp(s.get("ntp", ""))
        reading.services = parse_services(s.get("services", ""))
        if "docker" in s:
            reading.containers, reading.docker_note = parse_docker(s["docker"])
        if "backups" in s:
            reading.backup_root, reading.backups, reading.backups_note = parse_backups(s["backups"])
        if "offsite" in s:
            reading.offsite_file, reading.offsite, reading.offsite_note = parse_offsite(s["offsite"])
    if "nodes" in s:
        reading.kube_at = received_at
        reading.nodes, reading.kube_note = parse_nodes(s["nodes"])
    reading.fingerprint = fingerprint.build(s, reading)
    return reading


def carry_over(new: Reading, previous: Reading | None) -> Reading:
    """Keep the slow signals of ``previous`` on a ``new`` reading that did not sample them."""
    if previous is None:
        return new
    if new.slow_at is None and previous.slow_at is not None:
        new.slow_at = previous.slow_at
        new.disks = previous.disks
        new.ntp_synced = previous.ntp_synced
        new.services = previous.services
        new.containers = previous.containers
        new.docker_note = previous.docker_note
        new.backup_root = previous.backup_root
        new.backups = previous.backups
        new.backups_note = previous.backups_note
        new.offsite_file = previous.offsite_file
        new.offsite = previous.offsite
        new.offsite_note = previous.offsite_note
    if new.fingerprint is None:
        new.fingerprint = previous.fingerprint
    if new.kube_at is None and previous.kube_at is not None:
        new.kube_at = previous.kube_at
        new.nodes = previous.nodes
        new.kube_note = previous.kube_note
    return new
