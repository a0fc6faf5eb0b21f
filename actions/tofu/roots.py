"""The OpenTofu roots the app knows: ``iac/`` and ``postgres/iac/`` in the repository, plus configured ones.

A root's name is its path relative to the repository (``iac``, ``postgres/iac``); a configured root outside
the repository is named after its directory. The guidebook page of ``iac`` is ``docs/tofu/iac.md``, of
``postgres/iac`` it is ``docs/tofu/postgres.md``.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from actions.config import REPO_ROOT, Settings
from actions.tofu.errors import TofuNotFound, UnknownRoot

#: The repository's own roots, in the order the screens list them.
REPO_ROOTS = ("iac", "postgres/iac")


@dataclass(frozen=True)
class Root:
    """One OpenTofu root directory."""

    name: str
    path: Path
    guide: Path

    @property
    def exists(self) -> bool:
        """The directory is there and holds ``.tf`` files."""
        return self.path.is_dir() and any(self.path.glob("*.tf"))


def guide_page(name: str, repo: Path = REPO_ROOT) -> Path:
    """``iac`` -> docs/tofu/iac.md; ``postgres/iac`` -> docs/tofu/postgres.md; ``a/b`` -> docs/tofu/a-b.md."""
    stem = name if name == "iac" else name.removesuffix("/iac")
    return repo / "docs" / "tofu" / (stem.replace("/", "-") + ".md")


def _name_for(path: Path, repo: Path) -> str:
    try:
        return path.resolve().relative_to(repo.resolve()).as_posix()
    except ValueError:
        return path.name


def discover_roots(settings: Settings, repo: Path = REPO_ROOT) -> list[Root]:
    """The repository's roots that exist here, then every configured root (listed even when missing)."""
    roots: list[Root] = []
    seen: set[Path] = set()
    for rel in REPO_ROOTS:
        path = repo / rel
        if path.is_dir():
            roots.append(Root(rel, path, guide_page(rel, repo)))
            seen.add(path.resolve())
    for configured in settings.tofu.roots:
        path = configured.expanduser()
        if not path.is_absolute():
            path = repo / path
        if path.resolve() in seen:
            continue
        seen.add(path.resolve())
        name = _name_for(path, repo)
        own = path / "README.md"
        roots.append(Root(name, path, own if own.is_file() else guide_page(name, repo)))
    return roots


def find_root(settings: Settings, name: str, repo: Path = REPO_ROOT) -> Root:
    """The root called ``name`` (trailing slash forgiven), else the directory ``name`` when it holds
    ``.tf`` files, else :class:`UnknownRoot` naming the known ones."""
    wanted = name.strip().rstrip("/") or name.strip()
    roots = discover_roots(settings, repo)
    for root in roots:
        if root.name == wanted:
            return root
    path = Path(wanted).expanduser()
    if path.is_dir():
        return _directory_root(path.resolve(), roots, repo)
    known = ", ".join(r.name for r in roots) or "none"
    raise UnknownRoot(f"unknown root {name!r}; known roots: {known} (more via settings tofu.roots), "
                      "or a directory holding .tf files")


def _directory_root(path: Path, roots: list[Root], repo: Path) -> Root:
    """A root given by its directory: a known root when it is one, else named by its path (relative
    to the repository inside it, absolute outside, so two directories never share a saved plan)."""
    for root in roots:
        if root.path.resolve() == path:
            return root
    if not any(path.glob("*.tf")) and not any(path.glob("*.tofu")):
        raise UnknownRoot(f"{path}: no .tf files in this directory, so it is not an OpenTofu root")
    try:
        name = path.relative_to(repo.resolve()).as_posix()
    except ValueError:
        name = path.as_posix()
    own = path / "README.md"
    return Root(name, path, own if own.is_file() else guide_page(name, repo))


def find_binary(settings: Settings) -> str:
    """The configured binary, else ``tofu``, else ``terraform`` on PATH; :class:`TofuNotFound` otherwise."""
    configured = settings.tofu.binary
    if configured:
        found = shutil.which(os.path.expanduser(configured))
        if not found:
            raise TofuNotFound(
                f"OpenTofu binary {configured!r} (settings tofu.binary) is missing or not executable"
            )
        return found
    for candidate in ("tofu", "terraform"):
        found = shutil.which(candidate)
        if found:
            return found
    raise TofuNotFound(
        "neither `tofu` nor `terraform` is on PATH: install OpenTofu, or set tofu.binary "
        "(FACTORY_TOFU__BINARY) to its path"
    )
