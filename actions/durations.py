"""How long something took, or how old it is, as the operator reads it: one compact form for every screen.

``42s``, ``1m30s``, ``2h05m``, ``3d4h``: the two largest units, the smaller one padded under days so a ticking
clock does not jump about. The same words serve a run's elapsed time, a backup's or a plan's age, an uptime,
and a step's duration against its target, in the app, the CLI and the reports.
"""

from __future__ import annotations

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR


def duration_text(seconds: float | None, missing: str = "-") -> str:
    """``0s``, ``59s``, ``1m00s``, ``2h05m``, ``3d4h``; ``missing`` for None.

    Whole seconds, counted down (59.9 s is ``59s``: an age never reads older than it is). A negative span,
    which a clock a little ahead of this one gives, reads as ``0s``.
    """
    if seconds is None:
        return missing
    s = max(0, int(seconds))
    if s < MINUTE:
        return f"{s}s"
    if s < HOUR:
        return f"{s // MINUTE}m{s % MINUTE:02d}s"
    if s < DAY:
        return f"{s // HOUR}h{s % HOUR // MINUTE:02d}m"
    return f"{s // DAY}d{s % DAY // HOUR}h"


def ago_text(seconds: float | None, missing: str = "never") -> str:
    """``3h05m ago``: an age, for a reading, a copy or a plan; ``missing`` (``never``) when there is none."""
    return missing if seconds is None else f"{duration_text(seconds)} ago"
