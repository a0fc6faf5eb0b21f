"""The lab model kept between starts, so the app and ``health --once`` need not import Ansible to begin.

Reading an inventory through Ansible costs seconds (mostly importing Ansible). The lab read last time is
kept under ``<state_dir>/lab-cache/``, keyed by a fingerprint of every file Ansible reads for that
inventory (path, mtime, size and a hash of the contents), of ``ansible.cfg`` and of the ``ANSIBLE_*``
environment. A key that no longer matches is a miss: the inventory is read through Ansible again. Anything
the key cannot see (a vars plugin, a dynamic source) is why the app also re-reads the inventory through
Ansible in a child process after it opens (:func:`read_in_child`) and replaces a cached lab that reads
differently. Inventories that are scripts or plugin configs (their hosts come from elsewhere) are never
cached.

``python -m actions.lab_cache INVENTORY`` prints the lab as Ansible reads it (JSON), for that child.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import signal
import sys
from pathlib import Path

from actions.lab import InventoryError, Lab, load_lab

# Beside an inventory file, Ansible also reads these directories' variables.
_VARS_DIRS = ("group_vars", "host_vars")


def inventory_files(inventory: Path) -> list[Path]:
    """The files Ansible reads for ``inventory`` (a file or a directory), sorted."""
    if inventory.is_dir():
        roots = [inventory]
        found: list[Path] = []
    else:
        roots = [inventory.parent / name for name in _VARS_DIRS]
        found = [inventory]
    for root in roots:
        if root.is_dir():
            found += [p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")]
    return sorted(found)


def _ansible_cfg() -> list[Path]:
    """The config files Ansible may read, in its own order of precedence."""
    named = os.environ.get("ANSIBLE_CONFIG")
    candidates = [Path(named)] if named else []
    candidates += [Path.cwd() / "ansible.cfg", Path.home() / ".ansible.cfg", Path("/etc/ansible/ansible.cfg")]
    return [p for p in candidates if p.is_file()]


def _cacheable(files: list[Path]) -> bool:
    """Whether the hosts come from these files alone: not from a script, nor from an inventory plugin
    (``plugin:``) that may ask a cloud or any other source."""
    for path in files:
        if os.access(path, os.X_OK):
            return False
        try:
            head = path.read_bytes()[:65536]
        except OSError:
            return False
        if head.startswith(b"plugin:") or b"\nplugin:" in head:
            return False
    return True


def fingerprint(inventory: Path) -> str | None:
    """The cache key of ``inventory``: every file Ansible reads for it, its config and its ``ANSIBLE_*``
    environment; ``None`` when the inventory must not be cached."""
    files = inventory_files(inventory)
    if not files or not _cacheable(files):
        return None
    digest = hashlib.sha256()
    for path in [*files, *_ansible_cfg()]:
        try:
            stat, data = path.stat(), path.read_bytes()
        except OSError:
            return None
        digest.update(f"{path}\0{stat.st_mtime_ns}\0{stat.st_size}\0".encode())
        digest.update(hashlib.sha256(data).digest())
    for name in sorted(k for k in os.environ if k.startswith("ANSIBLE_")):
        digest.update(f"{name}={os.environ[name]}\0".encode())
    return digest.hexdigest()


def cache_path(state_dir: Path, inventory: Path) -> Path:
    """The cache file of the lab read from ``inventory``."""
    name = hashlib.sha256(str(inventory.expanduser().resolve()).encode()).hexdigest()[:20]
    return state_dir / "lab-cache" / f"{name}.json"


def cached_lab(state_dir: Path, inventory: Path) -> Lab | None:
    """The lab kept for ``inventory`` if its key still matches, else ``None``."""
    key = fingerprint(inventory)
    if key is None:
        return None
    try:
        doc = json.loads(cache_path(state_dir, inventory).read_text())
        if doc.get("key") != key:
            return None
        return Lab.model_validate(doc["lab"])
    except (OSError, ValueError, KeyError, TypeError):  # no cache yet, or one from another version
        return None


def store(state_dir: Path, inventory: Path, lab: Lab, key: str | None) -> None:
    """Keep ``lab`` under ``key`` (the fingerprint taken before Ansible read the files). Best effort: a
    cache that cannot be written only costs the next start its speed."""
    if key is None:
        return
    path = cache_path(state_dir, inventory)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"key": key, "lab": lab.model_dump(mode="json")}))
        tmp.replace(path)
    except OSError:
        pass


def load_lab_cached(state_dir: Path, inventory: Path) -> tuple[Lab, bool]:
    """The lab of ``inventory`` and whether it came from the cache; a miss reads it through Ansible (in
    this process) and keeps it. Raises :class:`InventoryError` like :func:`actions.lab.load_lab`. (The app
    reads a miss with :func:`read_in_child`: Ansible's import would set up the terminal it draws on.)"""
    path = Path(inventory).expanduser()
    lab = cached_lab(state_dir, path) if path.exists() else None
    if lab is not None:
        return lab, True
    key = fingerprint(path) if path.exists() else None  # before Ansible reads: a change meanwhile is a miss
    lab = load_lab(path)
    store(state_dir, path, lab, key)
    return lab, False


async def read_in_child(state_dir: Path, inventory: Path) -> Lab:
    """Read ``inventory`` through Ansible in a child process (Ansible's import and parse take neither the
    caller's thread nor its share of the interpreter), keep it in the cache and return it. Raises
    :class:`InventoryError`. Cancelled, it stops the child and what the child started (an inventory
    script that hangs)."""
    key = fingerprint(inventory)
    proc = await asyncio.create_subprocess_exec(
        *_child_command(inventory),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        start_new_session=True,  # its own group: a cancel stops the scripts Ansible runs with it
    )
    try:
        out, err = await proc.communicate()
    except asyncio.CancelledError:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
        raise
    lab = _read_by_child(inventory, out, err, proc.returncode)
    store(state_dir, inventory, lab, key)
    return lab


def _child_command(inventory: Path) -> list[str]:
    return [sys.executable, "-m", "actions.lab_cache", str(inventory)]


def _read_by_child(inventory: Path, out: bytes, err: bytes, returncode: int | None) -> Lab:
    """The lab the child printed, or its error as an :class:`InventoryError`."""
    try:
        doc = json.loads(out)
    except ValueError:
        tail = err.decode(errors="replace").strip().splitlines()[-1:] or [f"exit code {returncode}"]
        raise InventoryError(f"{inventory}: reading it failed: {tail[0]}") from None
    if "error" in doc:
        raise InventoryError(str(doc["error"]))
    return Lab.model_validate(doc["lab"])


def _main(argv: list[str]) -> int:
    """Print ``{"lab": ...}`` or ``{"error": ...}`` for the inventory named by ``argv[0]``."""
    doc: dict[str, object]
    try:
        doc = {"lab": load_lab(Path(argv[0])).model_dump(mode="json")}
    except InventoryError as exc:
        doc = {"error": str(exc)}
    print(json.dumps(doc))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
