"""The `factory-tui` command: with no subcommand it opens the TUI; each subcommand is a headless twin.

Each command group lives in its own module here and exposes ``register(subparsers)``; the subparser sets
``func(args, ctx) -> int``. Heavy imports (textual, ansible) happen inside the commands that need them, so
``factory-tui --version`` and ``hosts`` start quickly.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from importlib import import_module
from pathlib import Path
from typing import Any, NoReturn

from actions import applog, collector
from tui.cli.context import CliContext, CliError
from tui.cli.grammar import TopParser, inventory_of

_log = applog.logger("cli")

# Command group modules, in the order `--help` lists them.
# Each is imported to register its options before the app's poll process is started: their top-level
# imports stay light (asyncio too, which brings ssl), or the poll process starts that much later.
COMMANDS = [
    "tui.cli.hosts",
    "tui.cli.health",
    "tui.cli.run",
    "tui.cli.runs",
    "tui.cli.changes",
    "tui.cli.plan",
    "tui.cli.vault",
    "tui.cli.runbook",
    "tui.cli.sandbox",
    "tui.cli.rehearse",
]

# What keeps polling the hosts: the app (no subcommand); its poll process is started first thing.
# (`health` polls in its own process: for one round, a second interpreter costs more than it saves.)
POLLING = (None,)


class _Version(argparse.Action):
    """``--version``: the version and the log's path; the package's metadata is read only when asked for (it
    costs a tenth of a second)."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("factory-tui")
        except PackageNotFoundError:
            found = "0+unknown"
        # Where the log is: the first place to look when something went wrong.
        ctx = CliContext(config=getattr(args[0], "config", None) if args else None)
        try:
            where = str(applog.log_path(ctx.settings.state_dir))
        except CliError as exc:
            where = f"unknown: {exc}"
        print(f"factory-tui {found}\nlog: {where}")
        parser.exit()


def build_parser() -> TopParser:
    """The ``factory-tui`` argument parser, with every subcommand registered."""
    parser = TopParser(
        prog="factory-tui",
        description="Operate the factory lab: health, checklists, playbook runs and tofu plans.",
    )
    parser.add_argument("--version", action=_Version, help="show the version and the log's path, and exit")
    parser.add_argument("--config", metavar="PATH", help="settings file (default: the platform config dir)")
    parser.add_argument(
        "--log-level", metavar="LEVEL", type=str.upper, choices=applog.LEVELS,
        help=f"how much the log file records (default: ${applog.ENV_LEVEL} or INFO)",
    )
    parser.add_argument(
        "-i", "--inventory", metavar="INVENTORY", help="Ansible inventory, or `sandbox` for the sandbox lab"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        import_module(name).register(sub)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM to a subcommand, raised in the main thread as Ctrl-C is: every clean-up a command has for
    Ctrl-C (a run cancelled, a `sandbox up` rolled back) runs for it too."""


def _terminate(_signum: int, _frame: object) -> None:
    raise Terminated


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM raises :class:`Terminated` while the block runs (from the main thread only: signal handlers
    can be set nowhere else); the handler before is put back after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line: the app without a subcommand, else the subcommand; returns the exit status.

    The collector waits while the command starts (:mod:`actions.collector`) and runs again on return."""
    collector.hold()
    try:
        return _main(argv)
    finally:
        collector.release()


def entry() -> NoReturn:
    """The ``factory-tui`` program: :func:`main`, then exit with its status.

    The collector is left as the command left it, and what the process holds is put out of its reach
    (:func:`actions.collector.leaving`): turned on now, it would first walk all that the start allocated,
    then the interpreter's exit would walk it again, for objects that go with the process anyway."""
    collector.hold()
    code = _main(None)
    collector.leaving()
    sys.exit(code)


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in POLLING:
        # Before the settings are read: the poll process imports asyncssh on another core meanwhile.
        from actions.health import poll_spawn

        poll_spawn.prewarm()
    elif (early := getattr(args, "early", None)) is not None:
        early(args)  # a command's own head start, before the settings are read
    ctx = CliContext(config=args.config, inventory=inventory_of(args))
    log: list[Path] = []  # where the log is, once it is open
    try:
        if args.command is None:
            from tui.launch import run_app

            # The app opens its log once it has painted its first frame and read the settings.
            return run_app(ctx, lambda: log.append(_start_log(ctx, args.log_level, args.command)))
        log.append(_start_log(ctx, args.log_level, args.command))
        with _sigterm_as_interrupt():  # the app has Textual's own handling; subcommands get this one
            return int(args.func(args, ctx) or 0)
    except CliError as exc:
        print(f"factory-tui: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        # `factory-tui hosts --json | head`: the reader left; that is not an error of ours.
        sys.stderr.close()
        return 0
    except Terminated:
        print("factory-tui: terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    except KeyboardInterrupt:
        print("factory-tui: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        # The traceback goes to the log only: the terminal gets one line saying where to find it.
        _log.exception("factory-tui %s failed", args.command or "app")
        where = f"details in {log[0]}" if log else "no log was open yet"
        print(f"factory-tui: unexpected error: {exc or type(exc).__name__} ({where})", file=sys.stderr)
        return 1


def _start_log(ctx: CliContext, level: str | None, command: str | None) -> Path:
    """Open the rotating log in the state dir, at ``--log-level`` or ``FACTORY_LOG_LEVEL`` (INFO by
    default), and record that ``command`` started; returns the log's path."""
    try:
        path = applog.setup(ctx.settings.state_dir, applog.resolve_level(level))
    except applog.LogLevelError as exc:
        raise CliError(str(exc), exit_code=2) from None
    except OSError as exc:
        raise CliError(f"cannot write the log in {ctx.settings.state_dir}: {exc.strerror or exc}") from None
    # The command's name only: its arguments may carry anything the operator typed.
    _log.info("factory-tui started: %s", command or "the app")
    return path


if __name__ == "__main__":
    entry()
