"""Confirmation gates: what needs which confirmation, and the only way to get a permit to change the lab.

Three levels. Read-only work (health, tofu plan, check-mode runs) needs no gate. A change (a real
playbook run, a Vault unseal, a service restart) needs the operator to confirm a request that shows the
exact command, the hosts, the tags and what is known of its last dry run. A destructive action (an apply
that deletes, a restore, a Vault init) needs the operator to type the target's name.

Adapters that change the lab take a :class:`Permit` and call :func:`require` with the request they are
about to carry out; a permit is single-use and only matches the request it was issued for, so neither
the TUI nor the CLI can reach a change without going through :func:`issue`.
"""

from __future__ import annotations

import secrets
import time
from enum import IntEnum

from pydantic import BaseModel, ConfigDict, Field

from actions.applog import logger

_log = logger("gates")


class Level(IntEnum):
    """How much confirmation a request needs: none, a confirmation, or a typed name."""
    READ_ONLY = 0
    CHANGE = 1
    DESTRUCTIVE = 2

    @property
    def label(self) -> str:
        """The level as the operator reads it."""
        return {0: "read-only", 1: "change", 2: "destructive"}[int(self)]


class GateRequest(BaseModel):
    """Everything the operator must see before confirming; compared field by field at :func:`require`."""

    model_config = ConfigDict(frozen=True)

    kind: str = Field(description="What kind of action: ansible.run, tofu.apply, vault.unseal, ...")
    level: Level
    title: str = Field(description="One line saying what will happen.")
    command: tuple[str, ...] = Field(default=(), description="The exact command line (or API call).")
    targets: tuple[str, ...] = Field(default=(), description="Hosts (after --limit), root or service.")
    tags: tuple[str, ...] = ()
    details: tuple[str, ...] = Field(default=(), description="Lines shown under the command: last check, plan.")
    confirm_name: str | None = Field(
        default=None, description="What the operator types to confirm a destructive action."
    )
    suggest_check_first: bool = Field(
        default=False, description="True when the safer default is a dry run (never checked, or it failed)."
    )

    def command_line(self) -> str:
        """The command as one shell-quoted line."""
        import shlex

        return shlex.join(self.command)

    def describe(self) -> list[str]:
        """The request as plain lines, the same for the TUI's modal and the CLI's prompt."""
        lines = [f"{self.title}  [{self.level.label}]"]
        if self.command:
            lines.append(f"command: {self.command_line()}")
        if self.targets:
            lines.append(f"targets: {', '.join(self.targets)}")
        if self.tags:
            lines.append(f"tags:    {', '.join(self.tags)}")
        lines.extend(self.details)
        if self.level is Level.DESTRUCTIVE and self.confirm_name:
            lines.append(f"type {self.confirm_name!r} to confirm")
        return lines


class GateRefused(Exception):
    """The operator did not give the confirmation the request needs; the message says what was missing."""


_MINT = secrets.token_bytes(16)


class Permit:
    """Proof that the operator confirmed one request. Only :func:`issue` makes them; each is single-use."""

    __slots__ = ("_used", "issued_at", "operator", "request")

    def __init__(self, request: GateRequest, operator: str, mint: bytes) -> None:
        if mint is not _MINT:
            raise TypeError("permits are issued by actions.gates.issue()")
        self.request = request
        self.operator = operator
        self.issued_at = time.time()
        self._used = False

    @property
    def used(self) -> bool:
        """The permit has been spent."""
        return self._used

    def __repr__(self) -> str:
        return f"Permit({self.request.kind!r}, {self.request.title!r}, by {self.operator!r})"


def issue(
    request: GateRequest, *, confirmed: bool, typed_name: str | None = None, operator: str = "operator"
) -> Permit:
    """Turn the operator's answer into a permit, or raise :class:`GateRefused` saying why not."""
    try:
        permit = _issue(request, confirmed, typed_name, operator)
    except GateRefused as exc:
        _log.info("gate refused: %s by %s: %s", _what(request), operator, exc)
        raise
    _log.info("gate confirmed: %s by %s", _what(request), operator)
    return permit


def refused(request: GateRequest, operator: str, reason: str) -> GateRefused:
    """A refusal decided before :func:`issue` (the CLI's ``--confirm`` that does not match), logged like the
    refusals of :func:`issue`; the caller raises it."""
    _log.info("gate refused: %s by %s: %s", _what(request), operator, reason)
    return GateRefused(reason)


def _what(request: GateRequest) -> str:
    """A request in one line for the log: kind, level, title and targets. Not the command: the gate shows
    it to the operator, the log has no need of its arguments."""
    targets = f" on {', '.join(request.targets)}" if request.targets else ""
    return f"{request.kind} [{request.level.label}] {request.title!r}{targets}"


def _issue(request: GateRequest, confirmed: bool, typed_name: str | None, operator: str) -> Permit:
    if request.level >= Level.CHANGE and not confirmed:
        raise GateRefused(f"not confirmed: {request.title}")
    if request.level is Level.DESTRUCTIVE:
        expected = request.confirm_name
        if not expected:
            raise GateRefused(f"destructive request without a name to confirm: {request.title}")
        if (typed_name or "").strip() != expected:
            # The log says a wrong name was typed, not what: it may be anything the operator pasted.
            _log.debug("typed name did not match for %s", request.kind)
            got = f" (typed {typed_name.strip()!r})" if typed_name else ""
            raise GateRefused(f"destructive: type {expected!r} exactly to confirm{got}")
    return Permit(request, operator, _MINT)


def require(permit: Permit | None, request: GateRequest) -> None:
    """Called by an adapter right before it changes the lab: the permit must be for exactly ``request``."""
    if request.level is Level.READ_ONLY:
        return
    problem = None
    if not isinstance(permit, Permit):
        problem = f"{request.level.label} action needs a confirmation: {request.title}"
    elif permit.used:
        problem = "this confirmation was already used; confirm again"
    elif permit.request != request:
        problem = "the confirmation was for a different action; review and confirm again"
    if problem is not None:
        _log.warning("permit rejected: %s: %s", _what(request), problem)
        raise GateRefused(problem)
    assert isinstance(permit, Permit)
    permit._used = True
    _log.info("permit used: %s by %s", _what(request), permit.operator)
