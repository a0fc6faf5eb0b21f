"""The pipe between the app and its poll process (:mod:`poll_child`): length-prefixed pickled frames.

Each frame is a tuple whose first item names it. The two ends are the same program, so pickle carries the
pydantic models (hosts, snapshots) whole; nothing else ever writes to these pipes.

App to child: ``(START, targets, pickled_hosts, poller_options, log_level)`` first: the hosts twice, as
plain :class:`~actions.health.target.Target` values the child can read before pydantic has loaded, and as
the lab's models pickled once more, to load after it has; then ``(REFRESH,)``,
``(PAUSE, bool)`` and ``(FINGERPRINT,)``; closing the pipe stops the child.
Child to app: ``(SNAPSHOT, snapshot, ticks)`` after every tick and connection change, ``(LOG, level, logger,
message)`` for each record of the ``factory`` loggers, ``(FAILED, text)`` once if the poller died.
"""

from __future__ import annotations

import asyncio
import pickle
import struct
from typing import IO, Any

START, REFRESH, PAUSE, FINGERPRINT = "start", "refresh", "pause", "fingerprint"
SNAPSHOT, LOG, FAILED = "snapshot", "log", "failed"

_LENGTH = struct.Struct(">I")


def encode(frame: tuple[Any, ...]) -> bytes:
    """``frame`` as bytes for the pipe: its length, then its pickle."""
    body = pickle.dumps(frame, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(body)) + body


def write_frame(wire: IO[bytes], frame: tuple[Any, ...]) -> None:
    """Write one frame and flush it, so the other end sees it at once."""
    wire.write(encode(frame))
    wire.flush()


async def read_frame(reader: asyncio.StreamReader) -> tuple[Any, ...] | None:
    """The next frame, or ``None`` when the other end has closed the pipe (a cut frame counts as closed)."""
    try:
        (size,) = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))
        frame: tuple[Any, ...] = pickle.loads(await reader.readexactly(size))
    except asyncio.IncompleteReadError:
        return None
    return frame


async def pipe_reader(pipe: IO[bytes]) -> tuple[asyncio.StreamReader, asyncio.BaseTransport]:
    """An asyncio reader over a pipe opened before the event loop ran (a child's stdout, our stdin), and
    its transport: close that, not the pipe, when done (the loop would go on reading a closed pipe)."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 24)
    transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), pipe)
    return reader, transport
