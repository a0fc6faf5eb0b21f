"""The live health glance: a probe shipped to each host, pure parsers, thresholds, and the poller.

``probe.sh`` is defined once per connection in a long-lived remote shell; :mod:`parse` turns its answer
into a :class:`~actions.health.models.Reading`; :mod:`evaluate` judges it against the configured
thresholds; :mod:`poller` keeps one asyncssh connection per host and ticks; :mod:`report` makes the
JSON document and exit code of ``factory-tui health``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from actions.health.models import HostState, Reading, Snapshot, Status
    from actions.health.poller import Poller

# Loaded when first asked for: the poller brings asyncssh (a quarter of a second to import), the models
# pydantic; the command line starts the poll process (:mod:`poll_process`) before either is loaded.
_LAZY = {"HostState": "models", "Reading": "models", "Snapshot": "models", "Status": "models", "Poller": "poller"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"actions.health.{_LAZY[name]}"), name)
    raise AttributeError(name)


__all__ = ["HostState", "Poller", "Reading", "Snapshot", "Status"]
