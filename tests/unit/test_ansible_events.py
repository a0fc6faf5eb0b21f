"""Parsing the run's output stream into lines and typed events (pure)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from actions.ansible.events import MARKER, parse_event, split_line, strip_ansi, warning_event
from actions.ansible.runner import _Tally

PLUGIN = Path(__file__).resolve().parents[2] / "actions" / "ansible" / "plugins" / "callback" / "factory_events.py"


def test_plugin_and_parser_share_the_marker() -> None:
    found = re.search(r'^MARKER = "(.*)"$', PLUGIN.read_text(), re.M)
    assert found is not None
    assert found.group(1).encode().decode("unicode_escape") == MARKER
    # The marker must survive ansible-runner's str.splitlines(), which splits on \x1c-\x1e too.
    assert len(("a" + MARKER + "b").splitlines()) == 1


def _line(ev: dict[str, object]) -> str:
    return MARKER + json.dumps(ev) + "\r\n"


def test_split_line_text_and_event() -> None:
    assert split_line("\x1b[0;32mok: [pi1]\x1b[0m\r\n") == ("\x1b[0;32mok: [pi1]\x1b[0m", None)
    text, ev = split_line(_line({"e": "ok", "host": "pi1", "task": "T", "uuid": "u1", "dur": 0.5,
                                 "changed": True, "msg": "done", "t": 12.0}))
    assert text is None and ev is not None
    assert (ev.kind, ev.host, ev.task, ev.task_id, ev.duration, ev.status) == ("ok", "pi1", "T", "u1", 0.5, "changed")
    assert ev.message == "done" and ev.time == 12.0


def test_text_before_the_marker_is_kept() -> None:
    text, ev = split_line("partial output" + _line({"e": "task_start", "task": "X", "uuid": "u"}))
    assert text == "partial output" and ev is not None and ev.kind == "task_start"


def test_stats_event_carries_the_recap() -> None:
    ev = parse_event(json.dumps({"e": "stats", "recap": {"pi1": {"ok": 2, "changed": 1, "failures": 0,
                                                                  "unreachable": 1, "skipped": 0,
                                                                  "rescued": 0, "ignored": 0}}}))
    assert ev is not None and ev.recap is not None
    assert ev.recap["pi1"].changed == 1 and ev.recap["pi1"].bad


def test_failed_message_prefers_msg_then_stderr() -> None:
    ev = parse_event(json.dumps({"e": "failed", "host": "pi2", "stderr": "boom", "rc": 1}))
    assert ev is not None and ev.message == "boom" and ev.status == "failed"


def test_not_events() -> None:
    assert parse_event("{not json") is None
    assert parse_event("[1, 2]") is None
    assert split_line(MARKER + "garbage")[1] is None


def test_warning_lines_become_events() -> None:
    ev = warning_event("\x1b[1;35m[WARNING]: Could not match supplied host pattern\x1b[0m")
    assert ev is not None and ev.kind == "warning" and ev.message.startswith("Could not match")
    assert warning_event("ok: [pi1]") is None
    assert strip_ansi("\x1b[0;31mred\x1b[0m") == "red"


def test_tally_builds_a_recap_without_stats() -> None:
    tally = _Tally()
    for kind, host, changed in [("ok", "pi1", True), ("ok", "pi1", False), ("failed", "pi2", False),
                                ("ignored", "pi2", False), ("unreachable", "pi3", False),
                                ("item_ok", "pi1", False), ("task_start", None, False)]:
        ev = parse_event(json.dumps({"e": kind, "host": host, "changed": changed}))
        assert ev is not None
        tally.add(ev)
    r = tally.recap
    assert (r["pi1"].ok, r["pi1"].changed) == (2, 1)
    assert (r["pi2"].failures, r["pi2"].ignored) == (0, 1)
    assert r["pi3"].unreachable == 1 and r["pi3"].bad
