"""Run one tofu/terraform command with asyncio, streaming its ``-json`` lines as typed events, with cancel.

python-terraform (the project's wrapper) builds the argument lists; its own call path blocks on
``communicate()`` and cannot stream, so only :func:`build_argv` touches it. Each command runs in its own
process group, so a cancel reaches the provisioners it started (``local-exec``) too: SIGINT first, the way
a terminal's Ctrl-C does, SIGKILL for whatever is still there after the grace period.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr
from python_terraform import IsFlagged, Terraform

from actions.tofu.errors import TofuCancelled, TofuNotFound

#: One ``show -json`` of a large plan is a single line of several megabytes.
LINE_LIMIT = 64 * 1024 * 1024
#: Seconds a cancelled command gets to stop after SIGINT before its whole group is killed.
CANCEL_GRACE = 5.0

FLAG = IsFlagged


class TofuEvent(BaseModel):
    """One machine-readable line of output (or a plain line, when the command printed text)."""

    type: str = Field(description="The event's `type` (log, diagnostic, planned_change, ...), or text.")
    level: str = "info"
    message: str = ""
    stream: str = "stdout"
    raw: dict[str, Any] = Field(default_factory=dict, repr=False)

    @property
    def is_error(self) -> bool:
        """The event is an error diagnostic."""
        return self.level == "error"


EventCallback = Callable[[TofuEvent], None]


class RunResult(BaseModel):
    """How a command ended, with its error diagnostics and the last lines of text output."""

    argv: tuple[str, ...]
    returncode: int
    diagnostics: list[dict[str, Any]] = Field(default_factory=list)
    text_tail: list[str] = Field(default_factory=list)
    events: int = 0


def build_argv(binary: str, command: str, *args: str, **options: Any) -> list[str]:
    """The argv for ``binary command -opt... args`` as python-terraform writes it (``_`` becomes ``-``).

    Variables never go through here as a dict: python-terraform would write them to a temp var file.
    """
    if any(isinstance(v, dict) and "backend" not in k for k, v in options.items()):
        raise ValueError("variables come from the environment (TF_VAR_*), never from a file")
    tf = Terraform(terraform_bin_path=binary)
    return [str(part) for part in tf.generate_cmd_string(command, *args, **options)]


def process_env(extra: Mapping[str, str | SecretStr] | None = None) -> dict[str, str]:
    """This process's environment (TF_VAR_*, credentials) plus ``extra``, for a non-interactive run."""
    env = dict(os.environ)
    env["TF_IN_AUTOMATION"] = "1"
    env["TF_INPUT"] = "0"
    for key, value in (extra or {}).items():
        env[key] = value.get_secret_value() if isinstance(value, SecretStr) else value
    return env


def parse_line(line: str, stream: str) -> TofuEvent:
    """One output line as an event: the binary's JSON when it is JSON, plain text otherwise."""
    text = line.rstrip("\r\n")
    if stream == "stdout" and text.startswith("{"):
        try:
            doc = json.loads(text)
        except ValueError:
            doc = None
        if isinstance(doc, dict):
            return TofuEvent(
                type=str(doc.get("type", "json")),
                level=str(doc.get("@level", "info")),
                message=str(doc.get("@message", "")),
                stream=stream,
                raw=doc,
            )
    level = "error" if text.lstrip().startswith("Error") else "info"
    return TofuEvent(type="text", level=level, message=text, stream=stream)


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


async def run_streaming(
    argv: list[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    on_event: EventCallback | None = None,
    cancel: asyncio.Event | None = None,
    grace: float = CANCEL_GRACE,
) -> RunResult:
    """Run ``argv`` in ``cwd``, hand every output line to ``on_event`` as it comes, return how it ended.

    Setting ``cancel`` (or cancelling the awaiting task) stops the command and its children and raises
    :class:`TofuCancelled` (or re-raises the task's ``CancelledError``).
    """
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=cwd,
            env=dict(env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
            limit=LINE_LIMIT,
        )
    except FileNotFoundError:
        raise TofuNotFound(f"cannot run {argv[0]!r}: no such file") from None
    except PermissionError:
        raise TofuNotFound(f"cannot run {argv[0]!r}: not executable") from None

    diagnostics: list[dict[str, Any]] = []
    tail: list[str] = []
    count = 0

    async def pump(reader: asyncio.StreamReader | None, stream: str) -> None:
        nonlocal count
        if reader is None:
            return
        while line := await reader.readline():
            event = parse_line(line.decode(errors="replace"), stream)
            count += 1
            if event.type == "diagnostic" and event.is_error:
                diagnostics.append(event.raw.get("diagnostic") or {})
            elif event.type == "text" and event.message.strip():
                tail.append(event.message)
                del tail[:-40]
            if on_event is not None:
                on_event(event)

    pumps = asyncio.gather(pump(proc.stdout, "stdout"), pump(proc.stderr, "stderr"))
    waiter = asyncio.ensure_future(proc.wait())
    canceller = asyncio.ensure_future(cancel.wait()) if cancel is not None else None
    try:
        watch = {waiter} if canceller is None else {waiter, canceller}
        await asyncio.wait(watch, return_when=asyncio.FIRST_COMPLETED)
        if not waiter.done():
            await _stop(proc, waiter, grace)
            await pumps
            raise TofuCancelled(f"cancelled: {os.path.basename(argv[0])} {argv[1]} was stopped")
        await pumps
    except asyncio.CancelledError:
        await asyncio.shield(_stop(proc, waiter, grace))
        raise
    finally:
        if canceller is not None:
            canceller.cancel()
        # Whatever the command left behind in its group (a provisioner's child) goes with it.
        _signal_group(proc.pid, signal.SIGKILL)
    return RunResult(
        argv=tuple(argv), returncode=int(proc.returncode or 0), diagnostics=diagnostics, text_tail=tail,
        events=count,
    )


async def _stop(proc: asyncio.subprocess.Process, waiter: asyncio.Future[int], grace: float) -> None:
    _signal_group(proc.pid, signal.SIGINT)
    try:
        await asyncio.wait_for(asyncio.shield(waiter), grace)
    except TimeoutError:
        _signal_group(proc.pid, signal.SIGKILL)
        await waiter
    _signal_group(proc.pid, signal.SIGKILL)


async def run_capture(argv: list[str], *, cwd: Path, env: Mapping[str, str]) -> tuple[int, bytes, str]:
    """Run a short command and keep its whole stdout (``show -json``, ``state pull``)."""
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv, cwd=cwd, env=dict(env), stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, start_new_session=True,
        )
    except FileNotFoundError:
        raise TofuNotFound(f"cannot run {argv[0]!r}: no such file") from None
    try:
        out, err = await proc.communicate()
    except asyncio.CancelledError:
        _signal_group(proc.pid, signal.SIGKILL)
        raise
    return int(proc.returncode or 0), out, err.decode(errors="replace")
