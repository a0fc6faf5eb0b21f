"""`factory-tui health [--once] [--json]`: live health of every host, headless.

``--once`` reads every host once and exits 0 (all ok), 1 (a warning) or 2 (critical or unreachable), so
cron and scripts can use it; ``--json`` prints one document. Without ``--once`` a plain table refreshes
every interval until Ctrl-C. ``--diff``, ``--record`` and ``--accept`` (:mod:`tui.cli.health_diff`) read
once and compare with the last known-good snapshot.
"""

from __future__ import annotations

import argparse
import importlib
import json
import threading
import time
from typing import Any

from tui.cli import health_diff
from tui.cli.context import CliContext
from tui.cli.grammar import example


def register(sub: Any) -> None:
    """Add ``factory-tui health`` to the subcommands."""
    p = sub.add_parser("health", help="live health of every host",
                       epilog=example("factory-tui health -i sandbox --once --json"))
    p.add_argument("--once", action="store_true", help="read every host once, print, exit 0/1/2")
    p.add_argument("--json", action="store_true", help="print JSON (one document per refresh)")
    health_diff.register(p)
    p.set_defaults(func=run, early=_begin_import)


_poller_import: threading.Thread | None = None


def _begin_import(args: argparse.Namespace) -> None:
    """Import asyncssh in a thread from now on: its import waits in part on subprocesses (it looks for
    liboqs), and that wait overlaps the reading of the settings and the lab. (The SSH session's module
    alone: the poller's own import takes pydantic's, which the settings hold meanwhile.)"""
    global _poller_import
    _poller_import = threading.Thread(target=importlib.import_module, args=("actions.health.session",),
                                      daemon=True)
    _poller_import.start()


def _table(doc: dict[str, Any]) -> Any:
    from rich.table import Table
    from rich.text import Text

    colours = {"ok": "green", "warn": "yellow", "critical": "red", "unknown": "bright_black"}
    table = Table(title=f"health at {doc['taken_at']} — overall {doc['status']}", title_justify="left")
    for col in ("host", "status", "rtt ms", "load", "temp C", "mem avail", "disk /", "age s", "what"):
        table.add_column(col)
    backups = [(h["name"], b) for h in doc["hosts"] for b in [*(h.get("backups") or []), h.get("offsite")] if b]
    for h in doc["hosts"]:
        s = h["signals"] or {}
        bad = [f["text"] for f in h["findings"] if f["status"] != "ok"]
        disks = {d["path"]: d for d in s.get("disks") or []}
        root = disks.get("/")
        table.add_row(
            h["name"],
            Text(h["status"], style=colours.get(h["status"], "")),
            f"{s['rtt_ms']:.1f}" if s else "",
            f"{s['load'][0]:.2f}" if s.get("load") else "",
            f"{s['temp_c']:.1f}" if s.get("temp_c") is not None else "-",
            f"{s['mem_available_pct']:.0f}%" if s.get("mem_available_pct") is not None else "",
            f"{root['used_pct']:.0f}%" if root else "",
            f"{h['age_s']:.1f}" if h["age_s"] is not None else "",
            "; ".join(bad) or "ok",
        )
    if backups:
        table.caption = "\n".join(f"{name}: {b['text']}" for name, b in backups)
        table.caption_justify = "left"
    return table


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    """Print the lab's health once or live, the known-good diff, or record and accept known-good snapshots."""
    import asyncio

    settings, lab = ctx.settings, ctx.lab
    if _poller_import is not None:
        _poller_import.join()  # begun by the command line before it read the settings
    from actions.health.poller import Poller
    from actions.health.report import exit_code, to_json

    cfg = settings.health
    th = cfg.thresholds
    poller = Poller(list(lab.hosts), interval=cfg.interval, connect_timeout=cfg.connect_timeout,
                    history_minutes=cfg.history_minutes)
    if args.once or health_diff.wanted(args):
        if not args.json:
            # What draws the table is loaded while the hosts answer: the loop mostly waits on them.
            threading.Thread(target=_import_printer, daemon=True).start()

        async def once() -> Any:
            try:
                # The diff compares fingerprints; the table and the JSON show none.
                return await poller.once(fingerprint=health_diff.wanted(args))
            finally:
                await poller.close()

        snap = asyncio.run(once())
        if health_diff.wanted(args):
            return health_diff.run(args, ctx, snap, th)
        doc = to_json(snap, th)
        if args.json:
            print(json.dumps(doc, indent=2))
        else:
            from rich.console import Console

            Console().print(_table(doc))
        return exit_code(snap, th)
    return _watch(poller, th, as_json=args.json)


def _import_printer() -> None:
    importlib.import_module("rich.console")
    importlib.import_module("rich.table")


def _watch(poller: Any, th: Any, as_json: bool) -> int:
    """Refresh until Ctrl-C; the exit code is that of the last refresh."""
    import asyncio

    from rich.console import Console
    from rich.live import Live

    from actions.health.report import exit_code, to_json

    console = Console()
    last: list[Any] = []

    async def loop(live: Live | None) -> None:
        def show(snap: Any) -> None:
            last[:] = [snap]
            doc = to_json(snap, th, time.time())
            if as_json:
                print(json.dumps(doc), flush=True)
            elif live is not None:
                live.update(_table(doc), refresh=True)
            else:
                console.print(_table(doc))

        poller.listeners.append(show)
        await poller.run()

    try:
        if as_json or not console.is_terminal:
            asyncio.run(loop(None))
        else:
            with Live(console=console, auto_refresh=False) as live:
                asyncio.run(loop(live))
    except KeyboardInterrupt:
        pass
    return exit_code(last[0], th) if last else 1
