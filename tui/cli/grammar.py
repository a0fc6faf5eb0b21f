"""The grammar every subcommand shares: ``-i/--inventory`` after the subcommand as well as before it
(Ansible users put it there by habit), and one example at the foot of each ``--help``.

Subcommands are built with :class:`CommandParser`; the top-level parser keeps the list of them, so a test
can hold every one to these rules, including subcommands added later.
"""

from __future__ import annotations

import argparse
from functools import partial
from typing import Any

#: Where a subcommand's ``-i`` lands in the parsed arguments (the top level's is ``inventory``).
INVENTORY_DEST = "command_inventory"


def example(*commands: str) -> str:
    """The ``--help`` foot: one example command (more only when one line cannot say it)."""
    return "example:\n" + "\n".join(f"  {c}" for c in commands)


class CommandParser(argparse.ArgumentParser):
    """One subcommand (or verb): takes ``-i/--inventory`` and shows its example as written."""

    def __init__(self, *args: Any, commands: list[CommandParser] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        self.inventory_action: argparse.Action | None = None
        super().__init__(*args, **kwargs)
        self.commands = commands if commands is not None else []
        self.commands.append(self)
        # SUPPRESS: a verb's parser that is not given -i leaves its group's (or the top level's) alone.
        self.inventory_action = self.add_argument(
            "-i", "--inventory", dest=INVENTORY_DEST, metavar="INVENTORY", default=argparse.SUPPRESS,
            help="Ansible inventory, or `sandbox` (same as before the subcommand)")

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        """As argparse's; a subcommand that declares ``-i`` itself gets the shared one (one meaning)."""
        if self.inventory_action is not None and {"-i", "--inventory"} & set(args):
            return self.inventory_action
        return super().add_argument(*args, **kwargs)

    def add_subparsers(self, **kwargs: Any) -> Any:
        """As argparse's; the subcommands' parsers share this parser's list of commands."""
        kwargs.setdefault("parser_class", partial(CommandParser, commands=self.commands))
        return super().add_subparsers(**kwargs)


class TopParser(argparse.ArgumentParser):
    """The ``factory-tui`` parser: its subcommands are :class:`CommandParser`, listed in ``commands``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands: list[CommandParser] = []

    def add_subparsers(self, **kwargs: Any) -> Any:
        """As argparse's; the subcommands' parsers share this parser's list of commands."""
        kwargs.setdefault("parser_class", partial(CommandParser, commands=self.commands))
        return super().add_subparsers(**kwargs)


def inventory_of(args: argparse.Namespace) -> str | None:
    """The inventory the operator named: after the subcommand if there, else before it."""
    after: str | None = getattr(args, INVENTORY_DEST, None)
    before: str | None = getattr(args, "inventory", None)
    return after or before


def add_command(sub: Any, name: str, help: str, shown: str, func: Any = None, *, json: bool = False) -> Any:
    """A subcommand or verb with its help, its example and, for a listing, ``--json``."""
    parser = sub.add_parser(name, help=help, epilog=example(shown))
    if json:
        parser.add_argument("--json", action="store_true", help="print JSON")
    if func is not None:
        parser.set_defaults(func=func)
    return parser
