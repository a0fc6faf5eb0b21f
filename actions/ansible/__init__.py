"""The ansible-runner adapter: run playbooks with typed events, recap, check/diff, cancel and artifacts.

Use :func:`prepare` to resolve a run and get its gate request, then :func:`run_prepared` with the permit
(real runs) on a worker thread; :func:`replay` reads a finished run back from its artifacts. The playbook
itself runs in a child process (:mod:`actions.ansible.worker`, started by :mod:`actions.ansible.spawn`).

The names below are loaded on first use: the child process imports ``actions.ansible.worker``, which
brings in this package, and must not pay for the lab model and Ansible's inventory code it never uses.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from actions.ansible.catalog import MissingVars, Playbook, PlaybookError, UnknownPlaybook, resolve_playbook
    from actions.ansible.gate import AnsibleNotFound
    from actions.ansible.models import HostRecap, RunEvent, RunResult, RunSpec, RunStatus
    from actions.ansible.replay import replay
    from actions.ansible.runner import (
        PreparedRun,
        RunRefused,
        new_run_id,
        prepare,
        record_error,
        run_playbook,
        run_prepared,
    )

_WHERE = {
    "MissingVars": "catalog", "Playbook": "catalog", "PlaybookError": "catalog", "UnknownPlaybook": "catalog",
    "resolve_playbook": "catalog",
    "AnsibleNotFound": "gate",
    "HostRecap": "models", "RunEvent": "models", "RunResult": "models", "RunSpec": "models",
    "RunStatus": "models",
    "replay": "replay",
    "PreparedRun": "runner", "RunRefused": "runner", "prepare": "runner", "record_error": "runner",
    "run_playbook": "runner", "run_prepared": "runner", "new_run_id": "runner",
}


def __getattr__(name: str) -> Any:
    """The adapter's public names, each imported from its module on first use."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'actions.ansible' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"actions.ansible.{module}"), name)
    # Kept here, so the next look-up finds it at once: and importing ``actions.ansible.replay`` has just
    # set this package's ``replay`` to that module, which must not hide the function of the same name.
    globals()[name] = value
    return value


__all__ = [
    "AnsibleNotFound",
    "HostRecap",
    "MissingVars",
    "Playbook",
    "PlaybookError",
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
    "new_run_id",
]
