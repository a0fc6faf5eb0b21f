"""The ansible-runner adapter: run playbooks with typed events, recap, check/diff, cancel and artifacts.

Use :func:`prepare` to resolve a run and get its gate request, then :func:`run_prepared` with the permit
(real runs) on a worker thread; :func:`replay` reads a finished run back from its artifacts.
"""

from actions.ansible.catalog import Playbook, UnknownPlaybook, resolve_playbook
from actions.ansible.gate import AnsibleNotFound
from actions.ansible.models import HostRecap, RunEvent, RunResult, RunSpec, RunStatus
from actions.ansible.replay import replay
from actions.ansible.runner import PreparedRun, RunRefused, prepare, record_error, run_playbook, run_prepared

__all__ = [
    "AnsibleNotFound",
    "HostRecap",
    "Playbook",
    "PreparedRun",
    "RunEvent",
    "RunRefused",
    "RunResult",
    "RunSpec",
    "RunStatus",
    "UnknownPlaybook",
    "prepare",
    "record_error",
    "replay",
    "resolve_playbook",
    "run_playbook",
    "run_prepared",
]
