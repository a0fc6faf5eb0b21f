"""The sandbox's ``known_hosts`` file, shared by the sandbox's sshd hosts and the rehearsal hosts.

Each kind of lab owns the lines of its own addresses: writing its lines replaces those and keeps the
others, so bringing one kind up never makes the other's hosts unknown.
"""

from __future__ import annotations

from pathlib import Path


def _address(line: str) -> str:
    return line.split(" ", 1)[0]


def merge_known_hosts(path: Path, lines: dict[str, str]) -> None:
    """Write ``lines`` (address field -> whole line) into ``path``, replacing lines for those addresses."""
    mine = {_address(line) for line in lines.values()}
    try:
        kept = [ln for ln in path.read_text().splitlines() if ln.strip() and _address(ln) not in mine]
    except OSError:
        kept = []
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join([*kept, *lines.values()]) + "\n")
    tmp.replace(path)
