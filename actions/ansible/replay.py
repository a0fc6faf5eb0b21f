"""Read a finished run back from its artifacts, as the same lines and events it streamed live."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from actions.ansible.events import split_line, warning_event
from actions.ansible.models import RunEvent


def replay(artifacts: Path) -> Iterator[tuple[str | None, RunEvent | None]]:
    """Yield ``(line, None)`` for output text and ``(None, event)`` for events, in their original order."""
    stdout = Path(artifacts) / "stdout"
    if not stdout.is_file():
        raise FileNotFoundError(f"{stdout}: the run left no output (artifacts removed?)")
    with stdout.open(encoding="utf-8", errors="replace") as fh:
        for raw in fh:
            text, event = split_line(raw)
            if text is not None:
                yield text, None
                warn = warning_event(text)
                if warn is not None and event is None:
                    yield None, warn
            if event is not None:
                yield None, event
