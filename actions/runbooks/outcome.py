"""How a step's action ended, as the step's carrier (screen or CLI) reports it to :meth:`Walk.settle`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """The end of one step action: the run it made (if any), a one-line note, and which way it went.

    ``cancelled``: nothing was changed (not confirmed, no value given, run cancelled); ``failed``: the
    action itself failed; ``check_only``: only a check-mode run happened, so the lab is unchanged.
    """

    run_id: str | None = None
    note: str = ""
    cancelled: bool = False
    failed: bool = False
    check_only: bool = False
