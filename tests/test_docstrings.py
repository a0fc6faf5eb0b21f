"""Every public module, class, function and method of ``tui/`` and ``actions/`` says what it is for.

Read with ``ast``, so nothing is imported. Public means a name without a leading underscore, at module
level or in a class (functions nested in functions are private to them). Exempt are the hooks Textual
calls by name, which say what they are (``compose``, ``render_line``, ``check_action``, the ``on_*`` and
``key_*`` handlers, the ``watch_``/``validate_``/``compute_`` reactives), Ansible's ``v2_*`` callback hooks,
and property setters (the getter says it).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("tui", "actions")
HOOK_PREFIXES = ("on_", "key_", "watch_", "validate_", "compute_", "v2_")
HOOKS = {"compose", "compose_body", "render", "render_line", "render_lines", "check_action"}


def _exempt(name: str) -> bool:
    """Private, or a hook Textual (or Ansible) calls by name."""
    return name.startswith("_") or name in HOOKS or name.startswith(HOOK_PREFIXES)


def _decorated(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """An ``@overload`` stub or a property's ``@x.setter``: documented where the function is."""
    for d in node.decorator_list:
        if (isinstance(d, ast.Name) and d.id == "overload") or (isinstance(d, ast.Attribute)
                                                                and d.attr in ("overload", "setter")):
            return True
    return False


def _undocumented(body: list[ast.stmt], where: str) -> Iterator[str]:
    """``where:line kind name`` of each public class, function and method in ``body`` without a docstring."""
    for node in body:
        if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            if ast.get_docstring(node) is None:
                yield f"{where}:{node.lineno} class {node.name}"
            yield from _undocumented(node.body, where)
        elif (isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not _exempt(node.name)
              and not _decorated(node) and ast.get_docstring(node) is None):
                yield f"{where}:{node.lineno} def {node.name}"


def missing_docstrings() -> list[str]:
    """What lacks a docstring in the packages, module by module."""
    found: list[str] = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
            if ast.get_docstring(tree) is None and path.stat().st_size > 0:
                found.append(f"{rel}:1 module")
            found.extend(_undocumented(tree.body, rel))
    return found


def test_public_names_have_docstrings() -> None:
    """Each module, public class, function and method of ``tui/`` and ``actions/`` has a docstring."""
    missing = missing_docstrings()
    assert not missing, f"{len(missing)} public name(s) without a docstring:\n" + "\n".join(missing)


def test_the_walk_finds_what_it_should() -> None:
    """The checker itself: a public function without a docstring is found, a private one and a hook are not."""
    source = '''
def public(): pass
def _private(): pass
class Shown:
    """Documented."""
    def on_mount(self): pass
    def method(self): pass
    async def action_go(self): pass
    @property
    def size(self):
        """Documented."""
    @size.setter
    def size(self, value): pass
class Bare:
    def key_escape(self): pass
'''
    found = list(_undocumented(ast.parse(source).body, "x.py"))
    assert found == ["x.py:2 def public", "x.py:7 def method", "x.py:8 def action_go", "x.py:14 class Bare"], found
