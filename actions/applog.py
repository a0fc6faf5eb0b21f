"""The troubleshooting log: one rotating file in the state dir, written through Python's ``logging``.

Every module logs under the ``factory`` logger (``factory.health``, ``factory.gates``, ...). What goes in:
SSH connections made and lost, gate decisions (who, what, the outcome; never a command's secrets, which
never reach a request anyway), runs started and ended, and errors with their traceback. The file is the
only place they go: the terminal belongs to the TUI, and a traceback there is not an error message.

The level is INFO unless ``--log-level`` or ``FACTORY_LOG_LEVEL`` says otherwise.
"""

from __future__ import annotations

import logging
import os
from logging.handlers import RotatingFileHandler
from pathlib import Path

ROOT = "factory"
ENV_LEVEL = "FACTORY_LOG_LEVEL"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
#: A file past this size is rotated; the last few are kept beside it (.1, .2, ...).
MAX_BYTES = 2 * 1024 * 1024
BACKUPS = 3
FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"

# Until :func:`setup` runs (a library use, a test), records go nowhere: not to stderr through
# logging's last-resort handler.
logging.getLogger(ROOT).addHandler(logging.NullHandler())


class LogLevelError(ValueError):
    """A level that is not one of :data:`LEVELS`; the message is meant for the operator."""


def logger(name: str) -> logging.Logger:
    """The logger for one part of the app: ``logger("gates")`` is ``factory.gates``."""
    return logging.getLogger(f"{ROOT}.{name}")


def log_path(state_dir: Path) -> Path:
    """Where the log is written for a state dir (``factory-tui --version`` prints it)."""
    return state_dir / "logs" / "factory-tui.log"


def resolve_level(given: str | None = None) -> int:
    """The level from ``--log-level`` (``given``), else ``FACTORY_LOG_LEVEL``, else INFO."""
    name = (given or os.environ.get(ENV_LEVEL) or "INFO").strip().upper()
    if name not in LEVELS:
        source = "--log-level" if given else ENV_LEVEL
        raise LogLevelError(f"{source}: {name.lower()!r} is not a log level (one of {', '.join(LEVELS).lower()})")
    return int(getattr(logging, name))


def setup(state_dir: Path, level: int = logging.INFO) -> Path:
    """Send the ``factory`` loggers to the rotating file under ``state_dir``; returns its path.

    Calling it again (another state dir, another level) replaces the file handler, so there is only ever one.
    """
    path = log_path(state_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger(ROOT)
    for old in [h for h in root.handlers if isinstance(h, RotatingFileHandler)]:
        root.removeHandler(old)
        old.close()
    handler = RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False  # the file only: never the terminal the TUI draws on
    return path


def shutdown() -> None:
    """Close the file (tests that set up a log in a temporary state dir call this)."""
    root = logging.getLogger(ROOT)
    for old in [h for h in root.handlers if isinstance(h, RotatingFileHandler)]:
        root.removeHandler(old)
        old.close()
    root.propagate = True
