"""Values of a plan document as the operator may see them: unknown parts marked, sensitive parts masked.

The JSON plan format describes a value with two shadow trees beside it. ``after_unknown`` has ``true``
wherever the value is not known before apply (the whole value, one field of an object, one element of a
list), and ``*_sensitive`` has ``true`` wherever it is sensitive. A shadow tree may be ``false``, ``{}``,
``[]`` or missing where nothing is marked. This module overlays them on the value and renders the result
as JSON-like text in which the markers stand unquoted, so a marker never reads as a string the
configuration holds.
"""

from __future__ import annotations

import json
from typing import Any

MASK = "(sensitive)"
UNKNOWN = "(known after apply)"


class Marker(str):
    """A placeholder standing in for a value (masked or not yet known); rendered without quotes."""

    __slots__ = ()


MASKED = Marker(MASK)
UNKNOWN_VALUE = Marker(UNKNOWN)


def has_true(tree: Any) -> bool:
    """Whether a shadow tree marks anything."""
    if tree is True:
        return True
    if isinstance(tree, dict):
        return any(has_true(v) for v in tree.values())
    if isinstance(tree, list):
        return any(has_true(v) for v in tree)
    return False


def union(a: Any, b: Any) -> Any:
    """The shadow tree that marks what either tree marks: sensitive on one side is sensitive on both."""
    if a is True or b is True:
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return {k: union(a.get(k), b.get(k)) for k in set(a) | set(b)}
    if isinstance(a, list) and isinstance(b, list):
        return [union(a[i] if i < len(a) else None, b[i] if i < len(b) else None)
                for i in range(max(len(a), len(b)))]
    # Shapes that differ (a list that became a map) or one side unmarked: keep what is marked.
    if has_true(a) and not has_true(b):
        return a
    if has_true(b) and not has_true(a):
        return b
    return True if has_true(a) else None


def child(tree: Any, key: str | int) -> Any:
    """The part of a shadow tree under one key or index (``true`` marks every part below it)."""
    if tree is True:
        return True
    if isinstance(tree, dict) and isinstance(key, str):
        return tree.get(key)
    if isinstance(tree, list) and isinstance(key, int):
        return tree[key] if key < len(tree) else None
    return None


def with_unknown(value: Any, unknown: Any) -> Any:
    """``value`` with every part that ``unknown`` marks replaced by the unknown marker.

    The format leaves unknown parts out of the value (or puts ``null`` there), so an object gains the
    fields that are marked and a list grows to the length of its shadow.
    """
    if unknown is True:
        return UNKNOWN_VALUE
    if isinstance(unknown, dict) and has_true(unknown):
        base = dict(value) if isinstance(value, dict) else {}
        for key, sub in unknown.items():
            if has_true(sub):
                base[key] = with_unknown(base.get(key), sub)
        return base
    if isinstance(unknown, list) and has_true(unknown):
        items = list(value) if isinstance(value, list) else []
        items += [None] * (len(unknown) - len(items))
        return [with_unknown(v, unknown[i]) if i < len(unknown) else v for i, v in enumerate(items)]
    return value


def masked(value: Any, sensitive: Any) -> Any:
    """``value`` with every part that ``sensitive`` marks replaced by the mask."""
    if sensitive is True:
        return MASKED if value is not None else None
    if isinstance(value, dict) and isinstance(sensitive, dict):
        return {k: masked(v, sensitive.get(k)) for k, v in value.items()}
    if isinstance(value, list) and isinstance(sensitive, list):
        return [masked(v, sensitive[i] if i < len(sensitive) else None) for i, v in enumerate(value)]
    if has_true(sensitive):
        # A shadow whose shape does not match the value's: mask it all rather than guess.
        return MASKED
    return value


def render(value: Any) -> str:
    """JSON text of a value, with markers unquoted."""
    if isinstance(value, Marker):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {render(v)}" for k, v in sorted(value.items())) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(render(v) for v in value) + "]"
    return json.dumps(value)


def shown(value: Any, sensitive: Any, unknown: Any = None, reveal: bool = False) -> str:
    """One value as the operator sees it: unknown parts marked, sensitive parts masked unless ``reveal``."""
    value = with_unknown(value, unknown)
    return render(value if reveal else masked(value, sensitive))
