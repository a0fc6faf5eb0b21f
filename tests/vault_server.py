"""A real, throw-away OpenBao server for the Vault tests: raft storage, no TLS, loopback, free ports.

Init is one-shot and the tests restart the server, so each test module starts its own in a temp dir
instead of sharing the sandbox's; it is configured and started by the sandbox's own OpenBao helpers.
"""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import requests

from actions.sandbox.openbao import config_text, find_bao, start


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class BaoServer:
    """``start()``, ``stop()``, ``restart()``; ``addr`` is the API address. Starts sealed, uninitialised."""

    def __init__(self, root: Path, port: int | None = None) -> None:
        self.root = root
        self.data = root / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        self.port = port or _free_port()  # a lab's own Vault port, else any free one
        self.cluster_port = _free_port()
        self.config = root / "bao.hcl"
        self.config.write_text(config_text(self.data, "127.0.0.1", self.port, self.cluster_port))
        self.log = root / "bao.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def addr(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> None:
        self.proc = start(find_bao(), self.config, self.log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"bao server exited: {self.log.read_text()[-2000:]}")
            try:
                requests.get(f"{self.addr}/v1/sys/seal-status", timeout=1)
                return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError(f"bao server did not answer within {timeout}s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()
