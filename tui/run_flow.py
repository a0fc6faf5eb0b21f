"""Start a prepared playbook run in a :class:`RunPane`: the one way the runs screen and a checklist step
show a run.

The run goes on a thread worker of the screen that shows it; the pane gets the output in batches, then
how the run ended, through ``post_message`` only (the thread never touches a widget).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from textual.dom import DOMNode
from textual.worker import Worker

from actions.ansible import PreparedRun, RunRefused, RunResult, RunStatus, new_run_id, run_prepared
from actions.gates import Permit
from actions.lab import Lab
from actions.lab_cache import read_in_child
from tui.app_handle import app_of
from tui.services.run_batcher import Batcher
from tui.widgets.run_pane import RunPane


async def lab_for(node: DOMNode, inventory: Path) -> Lab:
    """The lab a run on ``inventory`` is prepared against, never read by Ansible in the app's own process:
    the app's lab when the run is on its inventory (kept current by the inventory watch), else (another
    inventory, or none read yet) one read in a child. Importing Ansible under Textual fails: its colour
    setup asks the terminal through the stdout Textual stands in for, which has no file descriptor.
    Raises :class:`actions.lab.InventoryError`."""
    app = app_of(node)
    if app.lab is not None and app.inventory is not None and Path(app.inventory).resolve() == inventory.resolve():
        return app.lab
    return await read_in_child(app.settings.state_dir, inventory)


def pane_for(prepared: PreparedRun, *, tab_id: str = "") -> RunPane:
    """A fresh pane for ``prepared``: its playbook, its hosts as columns, and its mode."""
    return RunPane(prepared.playbook.name, prepared.hosts, mode="check" if prepared.spec.check else "REAL",
                   tab_id=tab_id)


def refused(exc: RunRefused) -> RunResult:
    """The end of a run that never started, for the pane: no run id, nothing journalled."""
    now = time.time()
    return RunResult(run_id="", status=RunStatus.REFUSED, message=str(exc), started_at=now, finished_at=now)


def start_in_pane(screen: DOMNode, pane: RunPane, prepared: PreparedRun, permit: Permit | None, *,
                  group: str, name: str = "",
                  on_end: Callable[[RunResult], None] | None = None) -> Worker[RunResult]:
    """Run ``prepared`` under ``permit`` on a thread worker of ``screen``, streamed into ``pane`` (mounted
    already) and cancelled by its ``x``. A run refused by its gate or a busy host ends as REFUSED with the
    reason. ``on_end`` is called on the run's thread once the pane has been told the end."""
    operator = app_of(screen).settings.operator
    # Known before the run starts, so that its row in the runs history leads to this pane while it runs.
    pane.run_id = new_run_id()

    def work() -> RunResult:
        batcher = Batcher(lambda lines, events: pane.post_message(RunPane.Batch(lines, events)))
        try:
            result = run_prepared(prepared, permit=permit, on_event=batcher.event, on_line=batcher.line,
                                  on_tick=batcher.tick, cancel=pane.cancel, operator=operator, run_id=pane.run_id)
        except RunRefused as exc:
            result = refused(exc)
        finally:
            batcher.flush()
        pane.post_message(RunPane.Finished(result=result))
        if on_end is not None:
            on_end(result)
        return result

    return screen.run_worker(work, thread=True, group=group, name=name, exit_on_error=False)
