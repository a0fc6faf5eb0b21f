"""The test run's module order: long modules first, more tests first within each group, nothing lost."""

from __future__ import annotations

from dataclasses import dataclass

from tests.module_order import long_modules_first


@dataclass(frozen=True)
class _Item:
    nodeid: str
    long: bool = False


def test_long_modules_come_first_and_each_group_keeps_xdists_rule() -> None:
    items = [
        _Item("a.py::one"), _Item("a.py::two"), _Item("a.py::three"),
        _Item("b.py::only", long=True),
        _Item("c.py::x"), _Item("c.py::y", long=True),  # one long test makes the module long
        _Item("d.py::one"),
        _Item("e.py::solo", long=True),  # ties with b.py: collection order stands
    ]
    ordered = long_modules_first(items, lambda item: item.long)
    assert [i.nodeid for i in ordered] == [
        "c.py::x", "c.py::y", "b.py::only", "e.py::solo",  # long: more tests first, then as collected
        "a.py::one", "a.py::two", "a.py::three", "d.py::one",
    ]
    assert sorted(ordered, key=items.index) == items  # nothing lost or doubled


def test_without_long_modules_it_is_xdists_own_order() -> None:
    items = [_Item("a.py::one"), _Item("b.py::one"), _Item("b.py::two"), _Item("c.py::one")]
    assert [i.nodeid for i in long_modules_first(items, lambda item: False)] == [
        "b.py::one", "b.py::two", "a.py::one", "c.py::one"]
