"""Real parts for the backup scripts' tests: the role's scripts rendered by Ansible on this machine,
a restic repository served over HTTP by ``rclone serve restic`` (what the lab's GCS bucket is to
pi2), and a TCP relay in front of it that can hold a copy half-way, as a network that stops answering
or a host that loses power does.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from actions.config import REPO_ROOT

ANSIBLE = REPO_ROOT / "ansible"
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def render_scripts(tmp: Path, pg_port: int, variables: dict[str, object]) -> dict[str, Path]:
    """The backup role's scripts (entry point `scripts`), rendered by ansible-playbook into tmp/bin,
    writing under tmp/backups and dumping the PostgreSQL server on ``pg_port`` as `postgres`."""
    play = tmp / "render.yml"
    play.write_text(yaml.safe_dump([{
        "name": "Render the backup scripts",
        "hosts": "localhost",
        "gather_facts": False,
        "tasks": [{"name": "Render", "ansible.builtin.include_role": {"name": "backup", "tasks_from": "scripts"}}],
    }]))
    inventory = tmp / "inventory.ini"
    inventory.write_text(f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n")
    env = {**os.environ, "ANSIBLE_CONFIG": str(ANSIBLE / "ansible.cfg"), "ANSIBLE_HOME": str(tmp / "ansible-home"),
           "ANSIBLE_NOCOLOR": "1"}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory), str(play),
         "-e", json.dumps({
             "backup_scripts_dir": str(tmp / "bin"),
             "backup_root": str(tmp / "backups"),
             "backup_script_owner": os.environ.get("USER") or "root",
             "backup_pg_host": "127.0.0.1",
             "backup_pg_port": pg_port,
             "backup_pg_user": "postgres",
             "backup_pg_bin_dir": str(PG_BIN),
             "backup_pg_passfile": str(tmp / "no-pgpass"),
             **variables,
         })],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    found = {p.name: p for p in (tmp / "bin").iterdir()}
    for path in found.values():
        assert os.access(path, os.X_OK)
        assert subprocess.run(["bash", "-n", str(path)], capture_output=True).returncode == 0, path
    return found


class ResticServer:
    """``rclone serve restic`` on a free loopback port, serving repositories under ``root``."""

    def __init__(self, root: Path, log: Path) -> None:
        rclone = shutil.which("rclone")
        assert rclone, "rclone is missing: scripts/setup.sh installs it"
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self._log = log.open("w")
        self.proc = subprocess.Popen(
            [rclone, "serve", "restic", "--addr", "127.0.0.1:0", str(root)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        assert self.proc.stdout is not None
        self.url = ""
        # rclone names the port it bound once it serves; read up to that line.
        for line in self.proc.stdout:
            self._log.write(line)
            found = re.search(r"Serving restic REST API on (http://\S+?)/?$", line.strip())
            if found:
                self.url = found.group(1)
                break
        if not self.url:
            self.stop()
            raise RuntimeError(f"rclone serve restic did not start; see {log}")
        self.port = int(self.url.rsplit(":", 1)[1])
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._log.write(line)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self._log.close()


class Relay:
    """A TCP relay to ``port`` on loopback. Once ``hold_after(n)`` is armed it forwards n more bytes
    from client to server, then stops forwarding (the connection stays open, nothing moves) and sets
    ``held``: a copy is then half-way, deterministically, whatever the machine's speed. ``cut()``
    then takes the link down for good, ``restore()`` brings it back."""

    def __init__(self, port: int) -> None:
        self.upstream = port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.held = threading.Event()
        self._budget: int | None = None
        self._down = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def hold_after(self, count: int) -> None:
        with self._lock:
            self._budget = count
            self.held.clear()

    def cut(self) -> None:
        """The link goes down for good: held connections are cut and new ones closed at once."""
        with self._lock:
            self._down = True
        self.release()

    def restore(self) -> None:
        """The link is back: new connections are forwarded again."""
        with self._lock:
            self._down = False

    def release(self) -> None:
        """Forward everything again; connections held so far are cut (as a dead link's would be)."""
        with self._lock:
            self._budget = None
            sockets, self._sockets = self._sockets, []
        for s in sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def close(self) -> None:
        self.listener.close()
        self.release()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self._lock:
                down = self._down
            if down:
                client.close()
                continue
            server = socket.create_connection(("127.0.0.1", self.upstream))
            with self._lock:
                self._sockets += [client, server]
            threading.Thread(target=self._pipe, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, False), daemon=True).start()

    def _allowance(self, size: int) -> int:
        with self._lock:
            if self._budget is None:
                return size
            allowed = min(size, self._budget)
            self._budget -= allowed
            if self._budget == 0:
                self.held.set()
            return allowed

    def _pipe(self, src: socket.socket, dst: socket.socket, upload: bool) -> None:
        try:
            while data := src.recv(65536):
                allowed = self._allowance(len(data)) if upload else len(data)
                if allowed:
                    dst.sendall(data[:allowed])
                if allowed < len(data):
                    return  # held: the rest is never forwarded; release() cuts the connection
        except OSError:
            return


@contextmanager
def restic_repository(tmp: Path) -> Iterator[tuple[ResticServer, Relay]]:
    """A restic REST server and a relay in front of it; the scripts are pointed at the relay."""
    server = ResticServer(tmp / "served", tmp / "rclone.log")
    relay = Relay(server.port)
    try:
        yield server, relay
    finally:
        relay.close()
        server.stop()
