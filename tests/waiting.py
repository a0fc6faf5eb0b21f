"""Waiting in async tests without Pilot: poll a condition until it holds, or fail naming what never came."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


async def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    """Return once ``check()`` is true; an AssertionError naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)
