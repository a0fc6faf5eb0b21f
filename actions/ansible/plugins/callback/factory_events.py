"""Ansible stdout callback ``factory_events``: Ansible's own coloured output, plus one JSON line per event.

Ansible loads this file itself (through ``ANSIBLE_CALLBACK_PLUGINS``); factory-tui never imports it. Each
event is written to stdout as ``MARKER + json + newline`` right after the default callback's text for it,
so a single ordered stream carries both what the operator reads and what the run pane parses. This is far
cheaper than ansible-runner's own event path (a partial JSON file per event, renamed then read back).

Results are trimmed, never dropped: long texts are cut to ``FACTORY_EVENT_TEXT_MAX`` characters with a
note, so a huge module result still shows its status and the start of its message.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from ansible.plugins.callback.default import CallbackModule as DefaultCallback

DOCUMENTATION = """
    name: factory_events
    type: stdout
    short_description: default output plus JSON event lines for factory-tui
    description:
      - Ansible's default output, with one marked JSON line per playbook event.
    extends_documentation_fragment:
      - default_callback
      - result_format_callback
"""

MARKER = "\x02@factory-event "
TEXT_MAX = int(os.environ.get("FACTORY_EVENT_TEXT_MAX", "20000"))
_TEXT_KEYS = ("msg", "stderr", "stdout", "module_stderr", "module_stdout", "reason")


def _cut(value: object) -> object:
    if isinstance(value, str) and len(value) > TEXT_MAX:
        return value[:TEXT_MAX] + f"... [{len(value) - TEXT_MAX} more characters cut]"
    return value


def _role_of(task: Any) -> str | None:
    """The short name of the role a task belongs to (``system_base``, not ``arcodange.factory.system_base``)."""
    role = getattr(task, "_role", None)
    if role is None:
        return None
    return str(role.get_name()).rsplit(".", 1)[-1]


class CallbackModule(DefaultCallback):  # type: ignore[misc]
    """Ansible's default output, with one ``@factory-event`` JSON line after each event that matters."""
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "factory_events"

    def __init__(self) -> None:
        super().__init__()
        self._out = sys.stdout
        self._starts: dict[tuple[str, str], float] = {}

    # -- emitting --------------------------------------------------------------------------------------

    def _emit(self, event: dict[str, Any]) -> None:
        event["t"] = time.time()
        self._out.write(MARKER + json.dumps(event, default=str, separators=(",", ":")) + "\n")
        self._out.flush()

    def _result(self, kind: str, result: Any, item: bool = False) -> None:
        res = result._result
        host = result._host.get_name()
        task_uuid = result._task._uuid
        now = time.time()
        start = self._starts.get((host, task_uuid))
        ev: dict[str, Any] = {"e": kind, "host": host, "task": result._task.get_name(), "uuid": task_uuid}
        role = _role_of(result._task)
        if role:
            ev["role"] = role
        if start is not None:
            ev["dur"] = round(now - start, 3)
        if item:
            ev["item"] = _cut(str(self._get_item_label(res)))
            # Each item restarts the clock, so an item's duration is its own.
            self._starts[(host, task_uuid)] = now
        if res.get("changed"):
            ev["changed"] = True
        for key in _TEXT_KEYS:
            value = res.get(key)
            if value:
                ev[key] = _cut(value if isinstance(value, str) else str(value))
        if "rc" in res:
            ev["rc"] = res.get("rc")
        if res.get("warnings"):
            ev["warnings"] = [_cut(str(w)) for w in res["warnings"]]
        if kind == "failed" and getattr(result, "_ignore_errors", False):
            ev["ignored"] = True
        self._emit(ev)

    # -- playbook structure ----------------------------------------------------------------------------

    def v2_playbook_on_start(self, playbook: Any) -> None:
        super().v2_playbook_on_start(playbook)
        self._emit({"e": "playbook_start", "playbook": playbook._file_name, "pid": os.getpid()})

    def v2_playbook_on_play_start(self, play: Any) -> None:
        super().v2_playbook_on_play_start(play)
        self._emit({"e": "play_start", "play": play.get_name().strip()})

    def v2_playbook_on_task_start(self, task: Any, is_conditional: Any) -> None:
        super().v2_playbook_on_task_start(task, is_conditional)
        ev: dict[str, Any] = {"e": "task_start", "task": task.get_name().strip(), "uuid": task._uuid}
        role = _role_of(task)
        if role:
            ev["role"] = role
        self._emit(ev)

    def v2_playbook_on_handler_task_start(self, task: Any) -> None:
        super().v2_playbook_on_handler_task_start(task)
        self._emit({"e": "task_start", "task": task.get_name().strip(), "uuid": task._uuid, "handler": True})

    def v2_runner_on_start(self, host: Any, task: Any) -> None:
        super().v2_runner_on_start(host, task)
        self._starts[(host.get_name(), task._uuid)] = time.time()

    # -- results ---------------------------------------------------------------------------------------

    def v2_runner_on_ok(self, result: Any) -> None:
        super().v2_runner_on_ok(result)
        self._result("ok", result)

    def v2_runner_on_failed(self, result: Any, ignore_errors: bool = False) -> None:
        super().v2_runner_on_failed(result, ignore_errors)
        self._result("failed", result)
        if ignore_errors:
            self._emit({"e": "ignored", "host": result._host.get_name(), "uuid": result._task._uuid})

    def v2_runner_on_skipped(self, result: Any) -> None:
        super().v2_runner_on_skipped(result)
        self._result("skipped", result)

    def v2_runner_on_unreachable(self, result: Any) -> None:
        super().v2_runner_on_unreachable(result)
        self._result("unreachable", result)

    def v2_runner_item_on_ok(self, result: Any) -> None:
        super().v2_runner_item_on_ok(result)
        self._result("item_ok", result, item=True)

    def v2_runner_item_on_failed(self, result: Any) -> None:
        super().v2_runner_item_on_failed(result)
        self._result("item_failed", result, item=True)

    def v2_runner_item_on_skipped(self, result: Any) -> None:
        super().v2_runner_item_on_skipped(result)
        self._result("item_skipped", result, item=True)

    def v2_on_file_diff(self, result: Any) -> None:
        super().v2_on_file_diff(result)
        diff = result._result.get("diff")
        if diff:
            text = self._get_diff(diff)
            if text:
                self._emit({"e": "diff", "host": result._host.get_name(), "uuid": result._task._uuid,
                            "diff": _cut(text)})

    def v2_playbook_on_stats(self, stats: Any) -> None:
        super().v2_playbook_on_stats(stats)
        recap = {host: stats.summarize(host) for host in sorted(stats.processed)}
        self._emit({"e": "stats", "recap": recap})
