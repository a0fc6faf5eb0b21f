"""Shared fixtures. The `sandbox` fixture starts the real sandbox lab once per test session.

It runs in a temporary state dir on free ports, so it never meets an operator's own sandbox, and it is
stopped (and its data purged) when the session ends.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from actions import applog
from actions.config import Settings, load_settings
from tests.module_order import long_modules_first

# Tests never read the operator's own settings file or write to their state dir.
os.environ.pop("FACTORY_STATE_DIR", None)
# Nor meet the operator's own Vault: like the vault CLI, $VAULT_ADDR and friends win over every setting.
for _name in ("VAULT_ADDR", "VAULT_CACERT", "VAULT_TOKEN"):
    os.environ.pop(_name, None)


def pids_mentioning(text: str) -> list[int]:
    """Processes (other than this test run) whose command line contains ``text``; `ps` works on any OS."""
    # -ww: whole command lines (else ps cuts them at the terminal's width, or 80 columns without one).
    out = subprocess.run(["ps", "-ww", "-A", "-o", "pid=", "-o", "args="], capture_output=True, text=True).stdout
    found = []
    for line in out.splitlines():
        pid, _, args = line.strip().partition(" ")
        if text in args and not _test_runner(args) and pid.isdigit() and int(pid) != os.getpid():
            found.append(int(pid))
    return found


def _test_runner(args: str) -> bool:
    """Whether a command line is pytest's own (its arguments may name the text): the program or its
    ``-m`` module, not any word, since every ``tmp_path`` has ``pytest-of-...`` in it."""
    words = args.split()[:3]
    return any(Path(w).name in ("pytest", "py.test") for w in words) or words[1:3] == ["-m", "pytest"]


def stop_tmux_server(server: str) -> None:
    """Kill the tmux server named ``server`` (``-L``) and remove its socket, which tmux leaves behind."""
    subprocess.run(["tmux", "-L", server, "-f", "/dev/null", "kill-server"], capture_output=True, check=False)
    # tmux's own rule for where a named server's socket lives.
    tmpdir = Path(os.environ.get("TMUX_TMPDIR") or "/tmp")
    (tmpdir / f"tmux-{os.getuid()}" / server).unlink(missing_ok=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_port_block(count: int, address: str = "127.0.0.1") -> int:
    """A first port such that ``count`` consecutive ports are free."""
    for _ in range(200):
        base = free_port()
        if base + count > 65000:
            continue
        ok = True
        for port in range(base, base + count):
            with socket.socket() as s:
                try:
                    s.bind((address, port))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    raise RuntimeError("no block of free ports")


def make_settings(state_dir: Path, **overrides: object) -> Settings:
    """Settings for a test: its own state dir and free sandbox ports, nothing from the operator's files."""
    sandbox = {
        "ssh_port_base": free_port_block(3),
        "vault_port": free_port(),
        "postgres_port": free_port(),
    }
    sandbox.update(overrides.pop("sandbox", {}))  # type: ignore[arg-type]
    return load_settings(None, state_dir=state_dir, sandbox=sandbox, **overrides)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give out the long modules first, so that the two workers end together (:mod:`tests.module_order`)."""
    items[:] = long_modules_first(items, lambda item: bool(
        item.get_closest_marker("long") or "rehearsal_lab" in getattr(item, "fixturenames", ())))


@pytest.fixture(autouse=True)
def _factory_logging_restored() -> Iterator[None]:
    """The ``factory`` loggers as each test found them: a test that runs the command line in-process
    opens the app's log, which takes them off the root logger, and every later test of its worker would
    then capture none of their records."""
    root = logging.getLogger(applog.ROOT)
    level, propagate, handlers = root.level, root.propagate, list(root.handlers)
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)
    root.propagate = propagate


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Fresh settings with a temporary state dir (no services started)."""
    return make_settings(tmp_path / "state")


@pytest.fixture
def tofu_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The terraform (or tofu) binary, with a quiet, empty CLI config and no TF_VAR_ from the caller."""
    import shutil

    binary = shutil.which("tofu") or shutil.which("terraform")
    assert binary, "terraform (or tofu) must be installed for these tests"
    rc = tmp_path / "empty.tfrc"
    rc.write_text("")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(rc))
    for var in [k for k in os.environ if k.startswith("TF_VAR_")]:
        monkeypatch.delenv(var)
    return binary


@pytest.fixture
def tofu_cli_env(tmp_path: Path, tofu_env: str) -> dict[str, str]:
    """The environment of a `factory-tui` subprocess over tofu_env's: its own state and config dirs, no
    FACTORY_ setting from the caller."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACTORY_")}
    env.update({"FACTORY_STATE_DIR": str(tmp_path / "state"), "XDG_CONFIG_HOME": str(tmp_path / "config")})
    return env


@pytest.fixture(scope="module")
def bao(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A fresh OpenBao server (raft, non-dev, uninitialised) for one test module."""
    from tests.vault_server import BaoServer

    server = BaoServer(tmp_path_factory.mktemp("bao"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The real sandbox lab (3 sshd, OpenBao, PostgreSQL), up for the whole test session."""
    from actions import sandbox as sb

    settings = make_settings(tmp_path_factory.mktemp("sandbox-state"))
    status = sb.up(settings)
    try:
        yield status
    finally:
        sb.down(settings, purge=True)


def cli_env(settings: Settings) -> dict[str, str]:
    """Environment that points a `factory-tui` subprocess at the same state dir and sandbox ports."""
    env = dict(os.environ)
    env["FACTORY_STATE_DIR"] = str(settings.state_dir)
    env["FACTORY_SANDBOX__SSH_PORT_BASE"] = str(settings.sandbox.ssh_port_base)
    env["FACTORY_SANDBOX__VAULT_PORT"] = str(settings.sandbox.vault_port)
    env["FACTORY_SANDBOX__POSTGRES_PORT"] = str(settings.sandbox.postgres_port)
    return env


@pytest.fixture(scope="session")
def rehearsal_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, object]]:
    """Real rehearsal hosts (root Debian 12 with systemd), up for the whole test session.

    The base image is built once into the shared cache (``[rehearsal] image_dir``) and reused by every
    later session; the hosts' own disks live in a temporary state dir and are purged at the end.
    """
    from actions import rehearsal

    settings = make_settings(tmp_path_factory.mktemp("rehearsal-state"))
    status = rehearsal.up(settings)
    try:
        yield settings, status
    finally:
        rehearsal.down(settings, purge=True)


def root_ssh(settings: Settings, address: str, command: str, timeout: float = 300,
             stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``command`` as root on a rehearsal host over real ssh, with the sandbox's key and known_hosts;
    ``stdin`` feeds it (secrets go there, never on a command line)."""
    return subprocess.run(
        ["ssh", "-i", str(settings.sandbox_dir / "id_ed25519"),
         "-o", f"UserKnownHostsFile={settings.sandbox_dir / 'known_hosts'}", "-o", "StrictHostKeyChecking=yes",
         "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", f"root@{address}", command],
        capture_output=True, text=True, timeout=timeout, input=stdin,
    )
