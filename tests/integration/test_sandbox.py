"""The sandbox lab, for real: three sshd a real ssh client logs into, a sealed OpenBao, PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg
import pytest

from actions import sandbox as sb
from actions.lab import load_lab
from tests.conftest import cli_env, make_settings, pids_mentioning

CLI = [sys.executable, "-m", "tui.cli"]


def running_from(directory: Path) -> list[int]:
    """Processes whose command line names ``directory`` (sshd -f <dir>/..., bao -config=<dir>/...)."""
    return pids_mentioning(str(directory))


def ssh(st: sb.SandboxStatus, host: sb.SandboxHost, command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ssh", "-i", str(st.key_file), "-o", f"UserKnownHostsFile={st.known_hosts}",
         "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
         "-p", str(host.port), f"{st.user}@{host.address}", command],
        capture_output=True, text=True, timeout=30,
    )


def test_every_part_is_up(sandbox: sb.SandboxStatus) -> None:
    assert [p.name for p in sandbox.parts] == ["pi1", "pi2", "pi3", "openbao", "postgres"]
    assert sandbox.all_up, sandbox.parts


def test_real_ssh_client_logs_in_to_each_pi_as_an_unprivileged_account(sandbox: sb.SandboxStatus) -> None:
    for host in sandbox.hosts:
        proc = ssh(sandbox, host, "id -u; sudo -n true 2>/dev/null && echo SUDO || echo nosudo")
        assert proc.returncode == 0, proc.stderr
        uid, sudo = proc.stdout.split()
        assert sudo == "nosudo"
        if os.geteuid() == 0:
            assert uid != "0"


def test_known_hosts_pins_each_hosts_own_key(sandbox: sb.SandboxStatus) -> None:
    lines = sandbox.known_hosts.read_text().splitlines()
    assert len(lines) == 3
    assert len({line.split()[2] for line in lines}) == 3, "each Pi has its own host key"
    assert lines[0].startswith(f"[{sandbox.hosts[0].address}]:{sandbox.hosts[0].port} ssh-ed25519 ")


def test_openbao_starts_sealed_and_uninitialised(sandbox: sb.SandboxStatus) -> None:
    with urllib.request.urlopen(f"{sandbox.vault_addr}/v1/sys/seal-status", timeout=5) as resp:
        doc = json.load(resp)
    assert doc["sealed"] is True and doc["initialized"] is False
    assert doc["storage_type"] == "raft"


def test_postgres_answers(sandbox: sb.SandboxStatus) -> None:
    with psycopg.connect(host="127.0.0.1", port=sandbox.postgres_port, user="postgres", dbname="postgres") as c:
        assert c.execute("select 1").fetchone() == (1,)


def test_inventory_has_the_real_groups_and_points_at_the_sandbox(sandbox: sb.SandboxStatus) -> None:
    lab = load_lab(sandbox.inventory)
    real = load_lab(Path(__file__).resolve().parents[2] / "ansible" / "inventory" / "hosts.yml")
    assert lab.kind == "sandbox"
    assert lab.groups == real.groups
    assert [(h.address, h.port) for h in lab.hosts] == [(h.address, h.port) for h in sandbox.hosts]
    assert all(h.known_hosts == sandbox.known_hosts for h in lab.hosts)
    assert lab.vault_addr == sandbox.vault_addr


def test_up_twice_is_harmless(sandbox: sb.SandboxStatus) -> None:
    assert sandbox.settings is not None
    # Other tests may have restarted a part of the session's sandbox: compare with what runs now.
    before = sb.status(sandbox.settings)
    again = sb.up(sandbox.settings)
    assert before.all_up
    assert [p.pid for p in again.parts] == [p.pid for p in before.parts]


def test_cli_status_and_hosts(sandbox: sb.SandboxStatus) -> None:
    assert sandbox.settings is not None
    env = cli_env(sandbox.settings)
    out = subprocess.run([*CLI, "sandbox", "status", "--json"], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["all_up"] and doc["inventory"] == str(sandbox.inventory)
    assert {p["name"]: p["pid"] for p in doc["parts"]} == {p.name: p.pid for p in sb.status(sandbox.settings).parts}
    out = subprocess.run([*CLI, "-i", "sandbox", "hosts", "--json"], env=env, capture_output=True, text=True)
    hosts = json.loads(out.stdout)["hosts"]
    assert [(h["name"], h["address"]) for h in hosts] == [(h.name, h.address) for h in sandbox.hosts]


def test_killed_part_is_restarted_by_up(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "st")
    try:
        st = sb.up(settings)
        victim = st.part("pi2")
        assert victim.pid
        os.kill(victim.pid, 9)
        assert not sb.status(settings).part("pi2").up
        again = sb.up(settings)
        assert again.all_up and again.part("pi2").pid != victim.pid
        assert again.part("pi1").pid == st.part("pi1").pid
    finally:
        down = sb.down(settings, purge=True)
    assert not any(p.up for p in down.parts)
    assert not (tmp_path / "st" / "sandbox").exists()


def test_port_taken_is_one_clear_error_and_nothing_is_left(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "st")
    taken = settings.sandbox.postgres_port
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", taken))
        squatter.listen()
        env = cli_env(settings)
        out = subprocess.run([*CLI, "sandbox", "up"], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert f"127.0.0.1:{taken} is taken by something else" in out.stderr
    assert "Traceback" not in out.stderr
    assert not any(p.pid for p in sb.status(settings).parts)
    assert running_from(settings.sandbox_dir) == []


def test_missing_sshd_is_one_clear_error_and_nothing_is_left(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "st", sandbox={"sshd_binary": str(tmp_path / "no-sshd")})
    with pytest.raises(sb.SandboxError, match="sshd not found"):
        sb.up(settings)
    assert running_from(settings.sandbox_dir) == []


def test_openbao_failure_stops_the_sshd_already_started(tmp_path: Path) -> None:
    """A part that dies at start rolls back the parts this `up` started."""
    settings = make_settings(tmp_path / "st")
    bad = settings.sandbox_dir / "openbao" / "data"
    bad.parent.mkdir(parents=True)
    bad.write_text("a file where the raft directory should be")
    with pytest.raises(sb.SandboxError, match="OpenBao: cannot use"):
        sb.up(settings)
    # The three sshd had started before OpenBao failed: they must be gone again.
    assert (settings.sandbox_dir / "sshd_pi1.conf").exists()
    assert running_from(settings.sandbox_dir) == []


def test_ctrl_c_while_starting_stops_what_was_started(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C after the three sshd and OpenBao have started (here: while initdb is awaited) leaves none of
    them running, and the next `up` is not locked out."""
    settings = make_settings(tmp_path / "st")

    def interrupted(*_args: object) -> None:
        assert len(running_from(settings.sandbox_dir)) >= 4  # the sshd and OpenBao are up by now
        raise KeyboardInterrupt

    monkeypatch.setattr(sb.postgres, "finish_initdb", interrupted)
    with pytest.raises(KeyboardInterrupt):
        sb.up(settings)
    assert running_from(settings.sandbox_dir) == []
    monkeypatch.undo()
    try:
        assert sb.up(settings).all_up
    finally:
        sb.down(settings, purge=True)
    assert running_from(settings.sandbox_dir) == []


def test_sigterm_to_sandbox_up_stops_what_it_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`factory-tui sandbox up` terminated (SIGTERM, here sent once the sshd and OpenBao run) rolls back as
    for Ctrl-C, says so, exits 143, and leaves SIGTERM's handler as it found it."""
    from tui.cli import main

    settings = make_settings(tmp_path / "st")
    for key, value in cli_env(settings).items():
        if key.startswith("FACTORY_"):
            monkeypatch.setenv(key, value)

    def terminated(*_args: object) -> None:
        assert len(running_from(settings.sandbox_dir)) >= 4
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(30)  # the handler raises at once

    def found(_signum: int, _frame: object) -> None:
        raise RuntimeError("SIGTERM reached the handler that was there before main")

    monkeypatch.setattr(sb.postgres, "finish_initdb", terminated)
    before = signal.signal(signal.SIGTERM, found)  # without main's own handler, not pytest's end
    try:
        code = main(["sandbox", "up"])  # it opens the app's log: conftest puts the loggers back after
        assert signal.getsignal(signal.SIGTERM) is found
    finally:
        signal.signal(signal.SIGTERM, before)
    assert code == 128 + signal.SIGTERM
    assert "factory-tui: terminated" in capsys.readouterr().err
    assert running_from(settings.sandbox_dir) == []
