"""The order in which the test run gives its modules out to the workers: the long ones first.

The README's command turns off xdist's own order (the modules with the most tests first, `loadscope`'s
default), under which the longest modules, one or two tests each, came last and ran on one worker while
the other was done. Here the long modules go first, then the rest; within each group xdist's rule stands
(more tests first, ties in collection order). The rehearsal modules share one rehearsal lab per worker, so
they keep among themselves the order they have always met it in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar


class _HasNodeId(Protocol):
    @property
    def nodeid(self) -> str: ...


T = TypeVar("T", bound=_HasNodeId)


def long_modules_first(items: Sequence[T], is_long: Callable[[T], bool]) -> list[T]:
    """``items`` by module: the modules with any item ``is_long`` first, each group's modules with more
    items first (a stable sort: ties keep their order), each module's items in their own order."""
    modules: dict[str, list[T]] = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::", 1)[0], []).append(item)
    ordered = sorted(modules.values(), key=lambda module: (not any(is_long(i) for i in module), -len(module)))
    return [item for module in ordered for item in module]
