"""The ``pgbouncer`` role, run by the real ``ansible-playbook`` (``02_setup.yml --tags pgbouncer``), in
front of a real PostgreSQL 15 set up by ``postgres/iac``'s SQL, with its auth user's password read from
a real OpenBao, then a real pgbouncer 1.18 started on the configuration the role wrote.

The host is this machine (local connection); ``pgbouncer_config_only`` keeps the role off the package
manager and systemd (this VM has no systemd), so the test starts the pgbouncer binary itself, as the
``postgres`` account, exactly on the files the role wrote.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import hvac
import psycopg
import pytest
import yaml

from actions.config import REPO_ROOT

try:  # tests/integration imported as a package
    from . import pgbouncer_lab as lab_mod
except ImportError:  # rootdir-relative import (no __init__.py)
    import pgbouncer_lab as lab_mod  # type: ignore[no-redef]

pytestmark = pytest.mark.integration

ANSIBLE = REPO_ROOT / "ansible"
BIN = Path(sys.executable).parent
APPS = [lab_mod.App("gitea", secrets.token_urlsafe(16)), lab_mod.App("webapp", secrets.token_urlsafe(16))]


@pytest.fixture(scope="module")
def pg_lab() -> Iterator[lab_mod.PgBouncerLab]:
    lab = lab_mod.start(APPS, auth_password=secrets.token_urlsafe(16), bouncer=False)
    try:
        yield lab
    finally:
        lab.stop()


@pytest.fixture(scope="module")
def vault(bao, pg_lab) -> Iterator[tuple[str, str]]:
    """OpenBao initialised, unsealed, with postgres/iac's ``kv/infra/pgbouncer`` written."""
    client = hvac.Client(url=bao.addr)
    init = client.sys.initialize(secret_shares=1, secret_threshold=1)
    client.sys.submit_unseal_key(init["keys"][0])
    client.token = init["root_token"]
    # Unsealed is not yet active: raft elects itself leader a moment later (a condition, not a delay).
    deadline = time.monotonic() + 30
    while not client.sys.read_leader_status().get("is_self"):
        assert time.monotonic() < deadline, "OpenBao did not become active"
        time.sleep(0.1)
    client.sys.enable_secrets_engine("kv", path="kv", options={"version": "2"})
    while True:  # a new KV v2 mount refuses writes until its upgrade is done
        try:
            client.secrets.kv.v2.create_or_update_secret(
                mount_point="kv", path="infra/pgbouncer",
                secret={"username": lab_mod.AUTH_ROLE, "password": pg_lab.auth_password})
            break
        except hvac.exceptions.InvalidRequest as exc:
            assert "Upgrading" in str(exc) and time.monotonic() < deadline, exc
            time.sleep(0.1)
    yield bao.addr, init["root_token"]


def converge(pg_lab: lab_mod.PgBouncerLab, vault: tuple[str, str], tmp: Path) -> subprocess.CompletedProcess[str]:
    """One run of 02_setup.yml --tags pgbouncer against this machine, pgbouncer files under the lab's root."""
    inv = tmp / "inventory"
    inv.mkdir(exist_ok=True)
    (inv / "hosts.yml").write_text(yaml.safe_dump({"all": {
        "hosts": {"pi2": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}},
        "children": {"docker_hosts": {"hosts": {"pi2": None}}},
    }}))
    port_file = tmp / "port"
    if not port_file.exists():
        port_file.write_text(str(lab_mod.free_port()))
    extra = {
        "ansible_become": False,  # already root; this VM has no sudo to become with
        "pgbouncer_config_only": True,
        "pgbouncer_config_dir": str(pg_lab.root / "etc"),
        "pgbouncer_socket_dir": str(pg_lab.root),
        "pgbouncer_logfile": str(pg_lab.root / "role-pgbouncer.log"),
        "pgbouncer_listen_addr": lab_mod.HOST,
        "pgbouncer_listen_port": int(port_file.read_text()),
        "pgbouncer_server_port": pg_lab.pg_port,
    }
    addr, token = vault
    env = {**os.environ, "ANSIBLE_CONFIG": str(ANSIBLE / "ansible.cfg"), "ANSIBLE_HOME": str(tmp / "ah"),
           "ANSIBLE_NOCOLOR": "1", "VAULT_ADDR": addr, "VAULT_TOKEN": token,
           "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(inv / "hosts.yml"), "playbooks/02_setup.yml",
         "--tags", "pgbouncer", "--skip-tags", "preflight", "-e", yaml.safe_dump(extra, default_flow_style=True)],
        cwd=ANSIBLE, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def deployed(pg_lab, vault, tmp_path_factory) -> tuple[subprocess.CompletedProcess[str], int, Path]:
    tmp = tmp_path_factory.mktemp("pgbouncer-role")
    first = converge(pg_lab, vault, tmp)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-2000:]
    ini = pg_lab.root / "etc" / "pgbouncer.ini"
    port = int((tmp / "port").read_text())
    lab_mod.run_pgbouncer(pg_lab, ini, port, pg_lab.root / "role-pgbouncer.log")
    return first, port, tmp


def connect(port: int, app: lab_mod.App, password: str) -> psycopg.Connection:
    return psycopg.connect(host=lab_mod.HOST, port=port, dbname=app.database, user=app.login,
                           password=password, connect_timeout=5, autocommit=True)


@pytest.mark.parametrize("app", APPS, ids=[a.name for a in APPS])
def test_an_app_role_logs_in_through_the_role_s_pgbouncer(deployed, app):
    _, port, _ = deployed
    with connect(port, app, app.password) as conn:
        assert conn.execute("SELECT current_user, current_database()").fetchone() == (app.login, app.database)


def test_a_wrong_password_is_refused(deployed):
    _, port, _ = deployed
    with pytest.raises(psycopg.OperationalError, match="authentication failed"):
        connect(port, APPS[0], APPS[0].password + "x").close()


def test_the_auth_file_holds_the_auth_user_alone_with_vault_s_password(deployed, pg_lab):
    userlist = (pg_lab.root / "etc" / "userlist.txt").read_text()
    assert userlist == f'"{lab_mod.AUTH_ROLE}" "{pg_lab.auth_password}"\n'
    ini = (pg_lab.root / "etc" / "pgbouncer.ini").read_text()
    assert f"auth_query = {lab_mod.AUTH_QUERY}" in ini
    assert oct((pg_lab.root / "etc" / "userlist.txt").stat().st_mode & 0o777) == "0o640"


def test_the_password_never_reaches_the_run_s_output(deployed, pg_lab):
    first, _, _ = deployed
    assert pg_lab.auth_password not in first.stdout + first.stderr


def test_a_second_run_changes_nothing(deployed, pg_lab, vault):
    _, _, tmp = deployed
    again = converge(pg_lab, vault, tmp)
    assert again.returncode == 0, again.stdout[-3000:]
    assert "changed=0" in again.stdout and "failed=0" in again.stdout
