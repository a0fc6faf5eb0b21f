"""Batcher: at most one batch per interval, the first line after a quiet spell at once, nothing kept back."""

from __future__ import annotations

import pytest

from tui.services import run_batcher
from tui.services.run_batcher import Batcher


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_pacing(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = _Clock()
    monkeypatch.setattr(run_batcher.time, "monotonic", clock)
    sent: list[list[str]] = []
    batcher = Batcher(lambda lines, events: sent.append(lines), interval=0.08)

    clock.now += 1.0
    batcher.line("first after a quiet spell")
    assert sent == [["first after a quiet spell"]]

    for n in range(5):  # a burst inside one interval waits for the next batch
        clock.now += 0.01
        batcher.line(f"burst {n}")
    batcher.tick()  # not due yet: a tick never makes batches come faster
    assert len(sent) == 1

    clock.now += 0.05
    batcher.tick()  # due, and lines wait: out they go, though no new line arrived
    assert sent[-1] == [f"burst {n}" for n in range(5)]

    clock.now += 1.0
    batcher.tick()  # nothing waits: no empty batch
    assert len(sent) == 2
    batcher.line("x")
    batcher.flush()  # the run's end sends whatever is left
    assert sent[-1] == ["x"]
