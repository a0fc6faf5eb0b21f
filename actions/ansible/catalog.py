"""Which playbook a name means, and what the collection's catalog says of it (title, doc, destructive).

The catalog is ``<playbook_dir>/playbooks/catalog.yml``: a list of entries (or ``{playbooks: [...]}``),
each with ``path`` (relative to the playbook dir), ``title``, ``doc``, ``destructive``, ``confirm_name``
and ``hosts``. Any playbook under a ``recover/`` directory is destructive even when the catalog is missing
or silent about it; a destructive playbook is confirmed by typing its ``confirm_name`` (default: its stem).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError


class PlaybookError(Exception):
    """The playbook cannot be run as asked; the message says why, for the operator."""


class UnknownPlaybook(PlaybookError):
    """No playbook by that name or path; the message lists where it looked."""


class MissingVars(PlaybookError):
    """The catalog says the playbook refuses to run without these extra vars."""


class CatalogEntry(BaseModel):
    """One playbook's entry in ``catalog.yml``: its path, title, guidebook page and whether it is destructive."""
    path: str
    title: str = ""
    doc: str | None = None
    destructive: bool = False
    confirm_name: str | None = None
    confirm_var: str | None = None
    required_vars: list[str] = []
    hosts: str | list[str] | None = None


class Playbook(BaseModel):
    """A resolved playbook: its file and what the operator must do to run it for real."""

    path: Path
    name: str
    title: str
    destructive: bool
    confirm_name: str
    doc: str | None = None
    confirm_var: str | None = None
    required_vars: list[str] = []

    def for_vars(self, extra_vars: dict[str, str]) -> Playbook:
        """Check the required vars; a ``confirm_var`` makes its value (the real target) the name to type."""
        missing = [v for v in self.required_vars if not extra_vars.get(v)]
        if missing:
            raise MissingVars(f"{self.name} needs " + " ".join(f"-e {v}=..." for v in missing))
        if self.confirm_var and extra_vars.get(self.confirm_var):
            return self.model_copy(update={"confirm_name": extra_vars[self.confirm_var]})
        return self


def catalog_file(playbook_dir: Path) -> Path:
    """Where the playbook catalog lives under ``playbook_dir``."""
    return playbook_dir / "playbooks" / "catalog.yml"


def load_catalog(playbook_dir: Path) -> list[CatalogEntry]:
    """The catalog's entries; an absent file is an empty catalog, a broken one is ignored entry by entry."""
    path = catalog_file(playbook_dir)
    if not path.is_file():
        return []
    try:
        data: Any = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        return []
    if isinstance(data, dict):
        data = data.get("playbooks", [])
    entries: list[CatalogEntry] = []
    for raw in data if isinstance(data, list) else []:
        try:
            entries.append(CatalogEntry.model_validate(raw))
        except ValidationError:
            continue
    return entries


def _entry_path(playbook_dir: Path, entry: CatalogEntry) -> Path:
    p = Path(entry.path)
    if p.is_absolute():
        return p
    for base in (playbook_dir, playbook_dir / "playbooks"):
        if (base / p).is_file():
            return (base / p).resolve()
    return (playbook_dir / p).resolve()


def _candidates(playbook_dir: Path, name: str) -> list[Path]:
    raw = Path(name).expanduser()
    found = [raw]
    if not raw.is_absolute():
        for base in (playbook_dir, playbook_dir / "playbooks"):
            found += [base / raw, base / f"{name}.yml", base / f"{name}.yaml"]
    return found


def is_destructive_path(path: Path) -> bool:
    """A playbook under ``recover/`` is destructive, whatever the catalog says."""
    return "recover" in path.parts


def resolve_playbook(name: str, playbook_dir: Path) -> Playbook:
    """Find ``name``: a file path, a catalog name (path or stem), or a path under the playbook dir."""
    entries = load_catalog(playbook_dir)
    path: Path | None = None
    for candidate in _candidates(playbook_dir, name):
        if candidate.is_file():
            path = candidate.resolve()
            break
    entry: CatalogEntry | None = None
    for e in entries:
        epath = _entry_path(playbook_dir, e)
        if (path is not None and epath == path) or (
            path is None and name in (e.path, Path(e.path).stem, str(Path(e.path).with_suffix("")))
        ):
            entry, path = e, epath
            break
    if path is None or not path.is_file():
        known = sorted(Path(e.path).stem for e in entries)
        hint = f"; the catalog has: {', '.join(known[:12])}" if known else ""
        raise UnknownPlaybook(f"unknown playbook {name!r} (looked in {playbook_dir} and the current dir){hint}")
    destructive = is_destructive_path(path) or bool(entry and entry.destructive)
    return Playbook(
        path=path,
        name=path.stem,
        title=(entry.title if entry and entry.title else path.stem),
        destructive=destructive,
        confirm_name=(entry.confirm_name if entry and entry.confirm_name else path.stem),
        doc=entry.doc if entry else None,
        confirm_var=entry.confirm_var if entry else None,
        required_vars=list(entry.required_vars) if entry else [],
    )
