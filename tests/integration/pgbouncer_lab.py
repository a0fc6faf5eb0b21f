"""A throwaway PostgreSQL 15 server with a pgbouncer 1.18 in front, for testing ``user_lookup()``.

Both programs refuse to run as root, so when the tests run as root they are started as the
``postgres`` system account, in a private directory under /tmp that the account owns. Ports are
free loopback ports picked at start. :func:`start` returns a :class:`PgBouncerLab`; call its
``stop()`` when done (the test module wraps this in a session fixture).

The lab is set up the way ``postgres/iac`` sets up the real server: SCRAM passwords, one database
and login role per app, a ``pgbouncer`` auth role, and ``postgres/iac/sql/user_lookup.sql`` run
through psql in every database pgbouncer serves.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PGBOUNCER = Path("/usr/sbin/pgbouncer")
RUN_AS = "postgres"
HOST = "127.0.0.1"
USER_LOOKUP_SQL = Path(__file__).resolve().parents[2] / "postgres" / "iac" / "sql" / "user_lookup.sql"
AUTH_ROLE = "pgbouncer"
AUTH_QUERY = "SELECT usename, passwd FROM user_lookup($1)"


class LabError(RuntimeError):
    """The lab could not start; the message carries the failing command and its log tail."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _account() -> dict[str, object]:
    """Keyword arguments that make subprocess run as ``postgres`` when we are root."""
    if os.geteuid() != 0:
        return {}
    entry = pwd.getpwnam(RUN_AS)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _run(argv: list[str], *, as_account: bool = True, **kwargs: object) -> subprocess.CompletedProcess[str]:
    extra = _account() if as_account else {}
    proc = subprocess.run(argv, capture_output=True, text=True, **extra, **kwargs)  # type: ignore[call-overload]
    if proc.returncode != 0:
        raise LabError(f"{' '.join(argv)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc


def _wait_port(port: int, proc: subprocess.Popen[bytes] | None, log: Path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            break
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"
    raise LabError(f"nothing listens on {HOST}:{port}; log tail:\n{tail}")


@dataclass
class App:
    """One app as ``postgres/iac`` declares it: a database owned by ``owner``, a ``login`` role."""

    name: str
    password: str = field(repr=False)

    @property
    def database(self) -> str:
        return self.name

    @property
    def owner(self) -> str:
        return f"{self.name}_owner"

    @property
    def login(self) -> str:
        return f"{self.name}_app"


@dataclass
class PgBouncerLab:
    """Where the lab listens, and the secrets it was set up with (test-only values)."""

    root: Path
    pg_port: int
    bouncer_port: int
    auth_password: str = field(repr=False)
    apps: list[App]
    bouncer: subprocess.Popen[bytes] | None = None
    stopped: bool = field(default=False)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def superuser_dsn(self, dbname: str = "postgres") -> str:
        return f"host={HOST} port={self.pg_port} user=postgres dbname={dbname}"

    def psql(self, dbname: str, *args: str) -> subprocess.CompletedProcess[str]:
        """psql as the superuser, the way postgres/iac runs its SQL files."""
        argv = [str(PG_BIN / "psql"), "-X", "-q", "-h", HOST, "-p", str(self.pg_port), "-U", "postgres",
                "-d", dbname, *args]
        return _run(argv, as_account=False)

    def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        if self.bouncer is not None and self.bouncer.poll() is None:
            self.bouncer.terminate()
            try:
                self.bouncer.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.bouncer.kill()
                self.bouncer.wait()
        if (self.data_dir / "postmaster.pid").exists():
            subprocess.run([str(PG_BIN / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"],
                           capture_output=True, **_account())  # type: ignore[call-overload]
        shutil.rmtree(self.root, ignore_errors=True)


def _sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _start_postgres(lab: PgBouncerLab) -> None:
    _run([str(PG_BIN / "initdb"), "-D", str(lab.data_dir), "-U", "postgres", "--auth-local=trust",
          "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C"])
    # The superuser is trusted on loopback (as in the sandbox lab) so the fixture and psql can set up;
    # every other role must prove its SCRAM password, which is what pgbouncer has to pass through.
    hba = lab.data_dir / "pg_hba.conf"
    hba.write_text(
        "local all all trust\n"
        f"host all postgres {HOST}/32 trust\n"
        f"host all all {HOST}/32 scram-sha-256\n"
    )
    log = lab.root / "postgres.log"
    opts = f"-p {lab.pg_port} -k {lab.root} -c listen_addresses={HOST} -c password_encryption=scram-sha-256"
    _run([str(PG_BIN / "pg_ctl"), "-D", str(lab.data_dir), "-l", str(log), "-o", opts,
          "-w", "-t", "60", "start"])


def _provision(lab: PgBouncerLab) -> None:
    """Roles, databases and grants as postgres/iac/main.tf declares them, then user_lookup.sql."""
    stmts = [f"CREATE ROLE {AUTH_ROLE} LOGIN PASSWORD {_sql_literal(lab.auth_password)}"]
    for app in lab.apps:
        stmts += [
            f"CREATE ROLE {app.owner} NOLOGIN",
            f"CREATE ROLE {app.login} LOGIN PASSWORD {_sql_literal(app.password)} IN ROLE {app.owner}",
            f"CREATE DATABASE {app.database} OWNER {app.owner}",
            f"REVOKE ALL ON DATABASE {app.database} FROM PUBLIC",
            f"GRANT CONNECT, TEMPORARY ON DATABASE {app.database} TO {app.login}",
            # pgbouncer connects to each served database to call user_lookup() there.
            f"GRANT CONNECT ON DATABASE {app.database} TO {AUTH_ROLE}",
        ]
    lab.psql("postgres", "-v", "ON_ERROR_STOP=1", *[a for s in stmts for a in ("-c", s)])
    for app in lab.apps:
        # The same flags postgres/iac/pgbouncer.tf gives psql.
        lab.psql(app.database, "-v", "ON_ERROR_STOP=1", "-v", f"auth_role={AUTH_ROLE}",
                 "-f", str(USER_LOOKUP_SQL))


def _start_pgbouncer(lab: PgBouncerLab) -> None:
    dbs = "\n".join(f"{a.database} = host={HOST} port={lab.pg_port} dbname={a.database}" for a in lab.apps)
    ini = lab.root / "pgbouncer.ini"
    userlist = lab.root / "userlist.txt"
    log = lab.root / "pgbouncer.log"
    # Only the auth role lives in the auth file; every app role is looked up through user_lookup().
    userlist.write_text(f'"{AUTH_ROLE}" "{lab.auth_password}"\n')
    ini.write_text(
        "[databases]\n"
        f"{dbs}\n\n"
        "[pgbouncer]\n"
        f"listen_addr = {HOST}\n"
        f"listen_port = {lab.bouncer_port}\n"
        f"unix_socket_dir = {lab.root}\n"
        f"logfile = {log}\n"
        f"pidfile = {lab.root / 'pgbouncer.pid'}\n"
        "auth_type = scram-sha-256\n"
        f"auth_file = {userlist}\n"
        f"auth_user = {AUTH_ROLE}\n"
        f"auth_query = {AUTH_QUERY}\n"
        "pool_mode = session\n"
        "server_login_retry = 1\n"
    )
    for path in (ini, userlist):
        path.chmod(0o600)
        if os.geteuid() == 0:
            shutil.chown(path, RUN_AS, RUN_AS)
    run_pgbouncer(lab, ini, lab.bouncer_port, log)


def run_pgbouncer(lab: PgBouncerLab, ini: Path, port: int, log: Path) -> None:
    """Start pgbouncer (as ``postgres`` when root) on ``ini``; ``lab.stop()`` stops it."""
    lab.bouncer = subprocess.Popen([str(PGBOUNCER), str(ini)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, **_account())  # type: ignore[call-overload]
    _wait_port(port, lab.bouncer, log)


def start(apps: list[App], auth_password: str, *, bouncer: bool = True) -> PgBouncerLab:
    """Start PostgreSQL and (unless ``bouncer`` is false) pgbouncer, provision ``apps``; stop
    everything again if any step fails."""
    for binary in (PG_BIN / "initdb", PG_BIN / "pg_ctl", PG_BIN / "psql", PGBOUNCER):
        if not binary.exists():
            raise LabError(f"{binary} is missing: apt-get install postgresql-15 pgbouncer")
    root = Path(tempfile.mkdtemp(prefix="factory-pgbouncer-", dir="/tmp"))
    if os.geteuid() == 0:
        shutil.chown(root, RUN_AS, RUN_AS)
    root.chmod(0o700)
    lab = PgBouncerLab(root=root, pg_port=free_port(), bouncer_port=free_port(),
                       auth_password=auth_password, apps=apps)
    try:
        _start_postgres(lab)
        _provision(lab)
        if bouncer:
            _start_pgbouncer(lab)
    except BaseException:
        lab.stop()
        raise
    return lab


VAULT_TF = USER_LOOKUP_SQL.parents[1] / "vault.tf"


def vault_role_statements(kind: str, *, owner: str, name: str, password: str, expiration: str) -> list[str]:
    """``kind`` statements of postgres/iac's Vault database role, filled in as Vault and tofu would.

    tofu fills ``${postgresql_role.owner[each.key].name}``; Vault fills ``{{name}}``, ``{{password}}``
    and ``{{expiration}}``.
    """
    import hcl2  # only this function needs it

    with VAULT_TF.open() as fh:
        doc = hcl2.load(fh)
    role = next(block['"vault_database_secret_backend_role"']['"app"'] for block in doc["resource"]
                if '"vault_database_secret_backend_role"' in block)
    filled = []
    for raw in role[kind]:
        text = raw[1:-1].replace('\\"', '"')
        text = text.replace("${postgresql_role.owner[each.key].name}", owner)
        assert "${" not in text, f"unexpected interpolation left in {text!r}"
        filled.append(text.replace("{{name}}", name).replace("{{password}}", password)
                      .replace("{{expiration}}", expiration))
    return filled
