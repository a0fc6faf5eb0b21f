"""The CLI's gate: the one way a command turns ``--confirm NAME`` or an answer at the terminal into a permit.

It shows the same request the app's gate shows, then takes ``--confirm`` (which must name the target), or
asks at a terminal: ``[y/N]`` for a change, the target's name typed for a destructive action (or wherever the
command asks for it). A wrong word, the end of input (Ctrl-D) and Ctrl-C all mean "no permit": the command
ends with one line, having changed nothing. Without a terminal and without ``--confirm`` nothing is assumed.
"""

from __future__ import annotations

import sys

from actions.gates import GateRefused, GateRequest, Level, Permit, issue, refused
from tui.cli.context import CliError

INTERRUPTED = 130  # the shell's code for a command ended by Ctrl-C


def ask_permit(
    request: GateRequest,
    confirm: str | None,
    operator: str,
    *,
    expected: str,
    noun: str,
    typed: bool = False,
    question: str = "proceed?",
    hint: str | None = None,
) -> Permit:
    """A permit for ``request``, or :class:`CliError` saying why not and that nothing was changed.

    ``expected`` is what ``--confirm`` (or the typed answer) must be, ``noun`` what it names ("the root's
    name"); ``typed`` asks for the name even where the gate would take a yes; ``hint`` is shown when the
    request says a dry run would be the safer start.
    """
    try:
        print("\n".join(request.describe()), file=sys.stderr)
        return _answer(request, confirm, operator, expected, noun, typed, question, hint)
    except GateRefused as exc:
        raise CliError(f"{exc}; nothing was changed") from None
    except KeyboardInterrupt:
        print(file=sys.stderr)  # the prompt's line was left open
        refused(request, operator, "interrupted at the prompt")
        raise CliError("not confirmed (interrupted); nothing was changed", INTERRUPTED) from None


def _answer(request: GateRequest, confirm: str | None, operator: str, expected: str, noun: str, typed: bool,
            question: str, hint: str | None) -> Permit:
    if confirm is not None:
        if confirm.strip() != expected:
            raise refused(request, operator, f"--confirm {confirm!r} does not match {expected!r} ({noun})")
        return issue(request, confirmed=True, typed_name=confirm, operator=operator)
    if not sys.stdin.isatty():
        raise refused(request, operator, f"not confirmed: stdin is not a terminal; pass --confirm {expected}")
    if hint and request.suggest_check_first:
        print(f"hint: {hint}", file=sys.stderr)
    try:
        if typed or request.level is Level.DESTRUCTIVE:
            answer = input(f"type {expected!r} to confirm, anything else cancels: ").strip()
            if answer != expected:
                # What was typed stays off the log (it may be anything pasted); the terminal shows it anyway.
                raise refused(request, operator, f"not confirmed: {expected!r} was not typed")
            return issue(request, confirmed=True, typed_name=answer, operator=operator)
        answer = input(f"{question} [y/N] ").strip().lower()
    except EOFError:
        print(file=sys.stderr)
        raise refused(request, operator, "not confirmed: end of input") from None
    return issue(request, confirmed=answer in ("y", "yes"), operator=operator)
