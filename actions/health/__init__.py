"""The live health glance: a probe shipped to each host, pure parsers, thresholds, and the poller.

``probe.sh`` is defined once per connection in a long-lived remote shell; :mod:`parse` turns its answer
into a :class:`~actions.health.models.Reading`; :mod:`evaluate` judges it against the configured
thresholds; :mod:`poller` keeps one asyncssh connection per host and ticks; :mod:`report` makes the
JSON document and exit code of ``factory-tui health``.
"""

from actions.health.models import HostState, Reading, Snapshot, Status
from actions.health.poller import Poller

__all__ = ["HostState", "Poller", "Reading", "Snapshot", "Status"]
