"""The live health glance: a probe shipped to each host, pure parsers, thresholds, and the poller.

``probe.sh`` is defined once per connection in a long-lived remote shell; :mod:`parse` turns its answer
into a :class:`~actions.health.models.Reading`; :mod:`evaluate` judges it against the configured
thresholds; :mod:`poller` keeps one asyncssh connection per host and ticks; :mod:`report` makes the
JSON document and exit code of ``factory-tui health``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from actions.health.models import HostState, Reading, Snapshot, Status

if TYPE_CHECKING:
    from actions.health.poller import Poller


def __getattr__(name: str) -> Any:
    # The poller brings asyncssh (half a second to import): only code that polls pays for it, not the
    # models and parsers the app needs for its first frame.
    if name == "Poller":
        from actions.health.poller import Poller

        return Poller
    raise AttributeError(name)


__all__ = ["HostState", "Poller", "Reading", "Snapshot", "Status"]
