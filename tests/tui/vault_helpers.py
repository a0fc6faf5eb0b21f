"""Shared pieces of the Vault TUI tests: an app pointed at a test OpenBao, and a wait-until for Pilot."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from actions.config import Settings, load_settings
from actions.lab import Host, Lab
from tui.app import FactoryApp


def vault_app(state_dir: Path, addr: str, interval: float = 0.5) -> FactoryApp:
    settings: Settings = load_settings(
        None, state_dir=state_dir, vault={"addr": addr, "timeout": 5}, health={"interval": interval}
    )
    lab = Lab(
        name="vault-test", kind="sandbox", inventory=state_dir / "inventory.yml",
        hosts=[Host(name="pi1", address="127.0.1.1")], vault_addr=addr,
    )
    return FactoryApp(settings=settings, lab=lab)


async def wait_for(pilot: object, check: Callable[[], bool], timeout: float = 15.0, what: str = "") -> float:
    """Let the app run until ``check()`` holds; returns the seconds it took."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or check}")
        await pilot.pause(0.05)  # type: ignore[attr-defined]
    return time.monotonic() - started


def text_of(widget: object) -> str:
    return str(widget.content)  # type: ignore[attr-defined]


async def wait_screen(pilot: object, kind: type, selector: str, timeout: float = 15.0) -> object:
    """Wait until the app shows a ``kind`` screen with ``selector`` mounted (ready to be driven)."""
    app = pilot.app  # type: ignore[attr-defined]
    await wait_for(pilot, lambda: isinstance(app.screen, kind) and bool(app.screen.query(selector)),
                   timeout=timeout, what=f"{kind.__name__} with {selector}")
    return app.screen
