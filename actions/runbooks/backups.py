"""The backups a restore step can choose from: files under a directory of the backup host, newest first,
with their dates and sizes (read over SSH, so the list is what the host has now)."""

from __future__ import annotations

import shlex
import time

from pydantic import BaseModel

from actions.health.backups import size_text
from actions.remote import RemoteRunner


class Backup(BaseModel):
    """One backup file on the backup host."""
    path: str
    mtime: float
    size: int

    @property
    def when(self) -> str:
        """When the backup was written, to the minute."""
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(self.mtime))

    @property
    def size_text(self) -> str:
        """The backup's size in words (``2.0 MiB``)."""
        return size_text(self.size)


def is_backup(path: str) -> bool:
    """A backup itself, not what the backup scripts write beside it: a dump's ``.sha256`` checksum, or a
    hidden ``.partial`` file of a backup still being written."""
    name = path.rsplit("/", 1)[-1]
    return not name.startswith(".") and not name.endswith(".sha256")


def parse_listing(text: str) -> list[Backup]:
    """``find -printf '%T@ %s %p\\n'`` lines, newest first; malformed lines and non-backups are ignored."""
    out = []
    for line in text.splitlines():
        parts = line.strip().split(" ", 2)
        if len(parts) != 3 or not is_backup(parts[2]):
            continue
        try:
            out.append(Backup(mtime=float(parts[0]), size=int(parts[1]), path=parts[2]))
        except ValueError:
            continue
    return sorted(out, key=lambda b: -b.mtime)


async def list_backups(runner: RemoteRunner, host: str, directory: str) -> list[Backup]:
    """The backups under ``directory`` on ``host``, newest first."""
    cmd = f"find {shlex.quote(directory)} -maxdepth 2 -type f -printf '%T@ %s %p\\n' 2>/dev/null"
    _rc, out = await runner.run(host, cmd)
    return parse_listing(out)
