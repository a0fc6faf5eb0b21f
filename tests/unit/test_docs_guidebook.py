"""The guidebook keeps up with the lab: change a component, change its page.

Fails when a playbook, a role family or an OpenTofu root has no page, when a page describes a
playbook or role family that no longer exists, when a page names a repository path (in backticks
or as a link) that does not exist, when a runbook points at a missing page, or when
``docs/index.md`` does not link every page. The naming rules are stated in ``docs/index.md``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
INDEX = DOCS / "index.md"
TOFU_ROOT_PAGES = {"iac": "docs/tofu/iac.md", "postgres/iac": "docs/tofu/postgres.md"}
# Top-level entries of the repository a page may name, present or not yet (a name under one of
# these that does not exist is a broken reference, not prose).
TOP_LEVEL = {"ansible", "iac", "postgres", ".gitea", ".ci", "docs", "actions", "tui", "tests", "bench",
             "README.md", "pyproject.toml"}

_FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


# --- what must have a page ------------------------------------------------------------------------

def playbooks(repo: Path = REPO) -> list[Path]:
    """Every playbook: ansible/playbooks/**/*.yml except group_vars/host_vars content and catalog files."""
    base = repo / "ansible" / "playbooks"
    found = []
    for path in sorted([*base.rglob("*.yml"), *base.rglob("*.yaml")]):
        rel = path.relative_to(base)
        if {"group_vars", "host_vars"} & set(rel.parts[:-1]) or "catalog" in {*rel.parts[:-1], path.stem}:
            continue
        found.append(path)
    return found


def playbook_page(playbook: Path, repo: Path = REPO) -> str:
    """ansible/playbooks/site.yml -> docs/playbooks/site.md; recover/x.yml -> docs/playbooks/recover/x.md."""
    rel = playbook.relative_to(repo / "ansible" / "playbooks").with_suffix(".md")
    return f"docs/playbooks/{rel.as_posix()}"


def role_family(role: str, roles: list[str]) -> str:
    """gitea_runner and gitea_token are one family, `gitea` (so is a role named `gitea`); a role whose
    prefix no other role shares, such as deploy_docker_compose, is a family of its own."""
    prefix = role.split("_", 1)[0]
    shared = [r for r in roles if r.split("_", 1)[0] == prefix]
    return prefix if len(shared) > 1 else role


def role_families(repo: Path = REPO) -> dict[str, list[str]]:
    base = repo / "ansible" / "roles"
    families: dict[str, list[str]] = {}
    if base.is_dir():
        roles = sorted(p.name for p in base.iterdir() if p.is_dir() and not p.name.startswith("."))
        for role in roles:
            families.setdefault(role_family(role, roles), []).append(role)
    return families


def required_pages(repo: Path = REPO) -> dict[str, str]:
    """page -> the component it documents."""
    pages = {playbook_page(p, repo): str(p.relative_to(repo)) for p in playbooks(repo)}
    catalog = repo / "ansible" / "playbooks" / "catalog.yml"
    if catalog.is_file():
        # The catalog is data, but the gates read it: its page says what each field means to them.
        pages["docs/playbooks/catalog.md"] = str(catalog.relative_to(repo))
    for family, roles in role_families(repo).items():
        pages[f"docs/roles/{family}.md"] = "roles " + ", ".join(roles)
    for root, page in TOFU_ROOT_PAGES.items():
        if (repo / root).is_dir():
            pages[page] = f"OpenTofu root {root}/"
    return pages


# --- what a page names -----------------------------------------------------------------------------

def _looks_like_repo_path(text: str) -> bool:
    text = text.strip()
    if not text or any(c in text for c in " <>*{}$:?|,;()=\"'") or "..." in text:
        return False
    first = text.split("/", 1)[0]
    return first in TOP_LEVEL and ("/" in text or first == text)


def named_paths(page: Path, repo: Path = REPO) -> set[str]:
    """Repository paths the page names: inline code that looks like one, and relative links."""
    text = _FENCE.sub("", page.read_text())
    names = {m.strip().rstrip("/") for m in _INLINE_CODE.findall(text) if _looks_like_repo_path(m)}
    for target in _LINK.findall(text):
        target = target.split("#", 1)[0]
        if not target or re.match(r"^[a-z][a-z0-9+.-]*:", target):  # anchors, http:, mailto: ...
            continue
        resolved = (page.parent / target).resolve()
        try:
            names.add(resolved.relative_to(repo.resolve()).as_posix())
        except ValueError:
            names.add(target)  # points outside the repository: reported as missing
    return names


def broken_references(repo: Path = REPO) -> list[str]:
    problems = []
    for page in sorted((repo / "docs").rglob("*.md")):
        for name in sorted(named_paths(page, repo)):
            if not (repo / name).exists():
                problems.append(f"{page.relative_to(repo)} names {name}, which does not exist")
    return problems


def index_links(repo: Path = REPO) -> set[str]:
    index = repo / "docs" / "index.md"
    return {n for n in named_paths(index, repo) if n.startswith("docs/")} if index.exists() else set()


# --- the tests -----------------------------------------------------------------------------------

def test_every_playbook_role_family_and_tofu_root_has_a_page():
    missing = [f"{page} (for {what})" for page, what in required_pages().items()
               if not (REPO / page).is_file()]
    assert missing == [], "write these guidebook pages:\n" + "\n".join(missing)


def test_no_page_describes_a_playbook_or_role_family_that_is_gone():
    required = set(required_pages())
    pages = [str(p.relative_to(REPO)) for sub in ("playbooks", "roles")
             for p in sorted((DOCS / sub).rglob("*.md"))]
    stale = [page for page in pages if page not in required]
    assert stale == [], "these pages describe nothing that exists any more:\n" + "\n".join(stale)


def test_pages_name_only_files_that_exist():
    broken = broken_references()
    assert broken == [], "\n".join(broken)


def test_the_index_links_every_page():
    pages = {str(p.relative_to(REPO)) for p in DOCS.rglob("*.md")} - {"docs/index.md"}
    assert pages, "the guidebook has no pages"
    unlinked = sorted(pages - index_links())
    assert unlinked == [], "link these pages from docs/index.md:\n" + "\n".join(unlinked)


def test_the_index_states_the_role_family_rule():
    text = INDEX.read_text()
    assert "family" in text and "`_`" in text


def test_runbook_steps_point_at_existing_pages():
    runbooks = sorted((REPO / "actions" / "runbooks").glob("*.yml"))
    missing = []
    for book in runbooks:
        for value in _strings(yaml.safe_load(book.read_text())):
            for page in re.findall(r"docs/[\w./-]+\.md", value):
                if not (REPO / page).is_file():
                    missing.append(f"{book.name}: {page}")
    assert missing == [], "runbook steps link pages that do not exist:\n" + "\n".join(missing)


def _strings(node: object) -> list[str]:
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return [node] if isinstance(node, str) else []


# --- the rules on a made-up repository -------------------------------------------------------------

def make_repo(tmp_path: Path) -> Path:
    files = {
        "ansible/playbooks/site.yml": "- hosts: all\n",
        "ansible/playbooks/recover/vault.yml": "- hosts: all\n",
        "ansible/playbooks/group_vars/all.yml": "x: 1\n",
        "ansible/playbooks/catalog.yml": "x: 1\n",
        "ansible/roles/gitea_runner/tasks/main.yml": "[]\n",
        "ansible/roles/gitea_server/tasks/main.yml": "[]\n",
        "ansible/roles/k3s/tasks/main.yml": "[]\n",
        "ansible/roles/deploy_docker_compose/tasks/main.yml": "[]\n",
        "iac/versions.tf": "",
        "docs/playbooks/site.md": "Runs `ansible/playbooks/site.yml`, see [the roles](../roles/gitea.md).\n",
        "docs/roles/gitea.md": "Tasks in `ansible/roles/gitea_runner/tasks/main.yml`.\n",
        "docs/index.md": "[site](playbooks/site.md)\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def test_rules_on_a_made_up_repository(tmp_path):
    repo = make_repo(tmp_path)
    assert [p.relative_to(repo).as_posix() for p in playbooks(repo)] == [
        "ansible/playbooks/recover/vault.yml", "ansible/playbooks/site.yml"]
    assert role_families(repo) == {
        "deploy_docker_compose": ["deploy_docker_compose"], "gitea": ["gitea_runner", "gitea_server"],
        "k3s": ["k3s"]}
    assert set(required_pages(repo)) == {
        "docs/playbooks/site.md", "docs/playbooks/recover/vault.md", "docs/playbooks/catalog.md",
        "docs/roles/gitea.md", "docs/roles/k3s.md", "docs/roles/deploy_docker_compose.md", "docs/tofu/iac.md"}
    assert broken_references(repo) == []
    assert index_links(repo) == {"docs/playbooks/site.md"}


@pytest.mark.parametrize(
    ("text", "broken"),
    [
        ("See `ansible/roles/gitea_server/tasks/gone.yml`.", "ansible/roles/gitea_server/tasks/gone.yml"),
        ("See [the old page](../roles/forgejo.md).", "docs/roles/forgejo.md"),
        ("See `iac/modules/nothing/`.", "iac/modules/nothing"),
        ("Ran `bench/health.py` last week.", "bench/health.py"),
    ],
)
def test_a_page_naming_a_missing_file_is_caught(tmp_path, text, broken):
    repo = make_repo(tmp_path)
    (repo / "docs/playbooks/site.md").write_text(text + "\n")
    assert broken_references(repo) == [f"docs/playbooks/site.md names {broken}, which does not exist"]


@pytest.mark.parametrize(
    "text",
    [
        "Run `factory-tui plan iac` then read `kv/ci/gcp`.",
        "State lives in `gs://arcodange-tf/factory/main`.",
        "Pages are `docs/playbooks/<stem>.md`; globs like `iac/**` are filters.",
        "```\ncat iac/not-here.tf\n```",
        "See [the docs](https://example.org/x.md) or [above](#state).",
    ],
)
def test_prose_commands_and_placeholders_are_not_paths(tmp_path, text):
    repo = make_repo(tmp_path)
    (repo / "docs/playbooks/site.md").write_text(text + "\n")
    assert broken_references(repo) == []
