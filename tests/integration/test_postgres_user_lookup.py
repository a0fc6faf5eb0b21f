"""``postgres/iac/sql/user_lookup.sql`` on a real PostgreSQL 15 behind a real pgbouncer 1.18.

pgbouncer knows only its own ``pgbouncer`` role; every app login is checked against the hash that
``user_lookup()`` returns, so what the function hides is what pgbouncer refuses.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

try:  # tests/integration imported as a package
    from . import pgbouncer_lab as lab_mod
except ImportError:  # rootdir-relative import (no __init__.py)
    import pgbouncer_lab as lab_mod  # type: ignore[no-redef]

pytestmark = pytest.mark.integration

APPS = [lab_mod.App("gitea", secrets.token_urlsafe(16)), lab_mod.App("webapp", secrets.token_urlsafe(16))]


@pytest.fixture(scope="session")
def pg_lab() -> Iterator[lab_mod.PgBouncerLab]:
    lab = lab_mod.start(APPS, auth_password=secrets.token_urlsafe(16))
    try:
        yield lab
    finally:
        lab.stop()


def bouncer_connect(lab: lab_mod.PgBouncerLab, dbname: str, user: str, password: str) -> psycopg.Connection:
    return psycopg.connect(host=lab_mod.HOST, port=lab.bouncer_port, dbname=dbname, user=user,
                           password=password, connect_timeout=5, autocommit=True)


def superuser(lab: lab_mod.PgBouncerLab, dbname: str = "postgres") -> psycopg.Connection:
    return psycopg.connect(lab.superuser_dsn(dbname), autocommit=True)


def login_works(lab: lab_mod.PgBouncerLab, dbname: str, user: str, password: str) -> bool:
    try:
        with bouncer_connect(lab, dbname, user, password) as conn:
            return conn.execute("SELECT current_user").fetchone() == (user,)
    except psycopg.OperationalError:
        return False


@pytest.mark.parametrize("app", APPS, ids=[a.name for a in APPS])
def test_app_role_logs_in_through_pgbouncer_with_its_password(pg_lab, app):
    with bouncer_connect(pg_lab, app.database, app.login, app.password) as conn:
        row = conn.execute("SELECT current_user, current_database()").fetchone()
        assert row == (app.login, app.database)
        # The login role acts with its owner role's rights: it can create tables in its database.
        conn.execute("CREATE TABLE IF NOT EXISTS probe (id int)")


def test_wrong_password_is_refused(pg_lab):
    app = APPS[0]
    with pytest.raises(psycopg.OperationalError, match="authentication failed"):
        bouncer_connect(pg_lab, app.database, app.login, app.password + "x").close()


def test_unknown_role_is_refused(pg_lab):
    with pytest.raises(psycopg.OperationalError):
        bouncer_connect(pg_lab, APPS[0].database, "nobody_here", "whatever").close()


def test_expired_role_is_refused(pg_lab):
    app, password = APPS[0], secrets.token_urlsafe(16)
    with superuser(pg_lab) as su:
        su.execute(f"CREATE ROLE expiring LOGIN PASSWORD '{password}' VALID UNTIL 'infinity'"
                   f" IN ROLE {app.owner}")
        su.execute(f"GRANT CONNECT ON DATABASE {app.database} TO expiring")
    try:
        assert login_works(pg_lab, app.database, "expiring", password), "control: a valid role logs in"
        with superuser(pg_lab) as su:
            su.execute("ALTER ROLE expiring VALID UNTIL '2000-01-01'")
        assert not login_works(pg_lab, app.database, "expiring", password)
    finally:
        with superuser(pg_lab) as su:
            su.execute(f"REVOKE ALL ON DATABASE {app.database} FROM expiring")
            su.execute("DROP ROLE expiring")


def test_nologin_role_is_refused(pg_lab):
    app, password = APPS[1], secrets.token_urlsafe(16)
    with superuser(pg_lab) as su:
        su.execute(f"CREATE ROLE switched_off LOGIN PASSWORD '{password}' IN ROLE {app.owner}")
        su.execute(f"GRANT CONNECT ON DATABASE {app.database} TO switched_off")
    try:
        assert login_works(pg_lab, app.database, "switched_off", password), "control: a login role logs in"
        with superuser(pg_lab) as su:
            su.execute("ALTER ROLE switched_off NOLOGIN")
        assert not login_works(pg_lab, app.database, "switched_off", password)
    finally:
        with superuser(pg_lab) as su:
            su.execute(f"REVOKE ALL ON DATABASE {app.database} FROM switched_off")
            su.execute("DROP ROLE switched_off")


def test_owner_roles_cannot_log_in(pg_lab):
    app = APPS[0]
    assert not login_works(pg_lab, app.database, app.owner, app.password)


def direct_as_auth_role(lab: lab_mod.PgBouncerLab, dbname: str) -> psycopg.Connection:
    return psycopg.connect(host=lab_mod.HOST, port=lab.pg_port, dbname=dbname, user=lab_mod.AUTH_ROLE,
                           password=lab.auth_password, connect_timeout=5, autocommit=True)


def test_pgbouncer_role_cannot_read_pg_authid(pg_lab):
    with direct_as_auth_role(pg_lab, APPS[0].database) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT rolpassword FROM pg_catalog.pg_authid")
        # ... while through the function it gets exactly one login role's hash.
        rows = conn.execute("SELECT usename, passwd FROM user_lookup(%s)", [APPS[0].login]).fetchall()
        assert len(rows) == 1 and rows[0][0] == APPS[0].login
        assert rows[0][1].startswith("SCRAM-SHA-256$")


def test_user_lookup_hides_superusers(pg_lab):
    with superuser(pg_lab) as su:
        su.execute("ALTER ROLE postgres PASSWORD 'only-for-this-test'")
    try:
        with direct_as_auth_role(pg_lab, APPS[1].database) as conn:
            assert conn.execute("SELECT * FROM user_lookup('postgres')").fetchall() == []
    finally:
        with superuser(pg_lab) as su:
            su.execute("ALTER ROLE postgres PASSWORD NULL")


@pytest.mark.parametrize("app", APPS, ids=[a.name for a in APPS])
def test_only_the_pgbouncer_role_may_execute_user_lookup(pg_lab, app):
    with (
        bouncer_connect(pg_lab, app.database, app.login, app.password) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("SELECT * FROM user_lookup(%s)", [app.login])
    with superuser(pg_lab, app.database) as su:
        grantees = su.execute(
            "SELECT DISTINCT coalesce(r.rolname, 'PUBLIC') FROM pg_proc p, aclexplode(p.proacl) a"
            " LEFT JOIN pg_roles r ON r.oid = a.grantee"
            " WHERE p.oid = 'public.user_lookup(text)'::regprocedure AND a.privilege_type = 'EXECUTE'"
        ).fetchall()
    assert {g for (g,) in grantees} == {"postgres", lab_mod.AUTH_ROLE}


def test_user_lookup_is_security_definer_with_a_pinned_search_path(pg_lab):
    for app in APPS:
        with superuser(pg_lab, app.database) as su:
            row = su.execute(
                "SELECT prosecdef, proconfig FROM pg_proc"
                " WHERE oid = 'public.user_lookup(text)'::regprocedure"
            ).fetchone()
        assert row is not None, f"user_lookup missing in {app.database}"
        assert row[0] is True
        assert row[1] == ["search_path=pg_catalog, pg_temp"]


def test_a_vault_issued_role_logs_in_until_its_lease_ends(pg_lab):
    """The statements of postgres/iac/vault.tf, run as Vault runs them, against user_lookup()."""
    app, name, password = APPS[1], "v-token-webapp-x1y2", secrets.token_urlsafe(16)
    fill = {"owner": app.owner, "name": name, "password": password}
    later = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S+0000")
    earlier = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S+0000")
    with superuser(pg_lab) as su:
        for stmt in lab_mod.vault_role_statements("creation_statements", expiration=later, **fill):
            su.execute(stmt)
    try:
        with bouncer_connect(pg_lab, app.database, name, password) as conn:
            conn.execute("CREATE TABLE made_by_a_lease (id int)")
            owner = conn.execute(
                "SELECT tableowner FROM pg_tables WHERE tablename = 'made_by_a_lease'").fetchone()
            assert owner == (app.owner,), "objects belong to the owner role, not to the leased role"
        with superuser(pg_lab) as su:
            for stmt in lab_mod.vault_role_statements("renew_statements", expiration=earlier, **fill):
                su.execute(stmt)
        assert not login_works(pg_lab, app.database, name, password)
    finally:
        with superuser(pg_lab) as su:
            # Vault's revocation must succeed although the lease created a table.
            for stmt in lab_mod.vault_role_statements("revocation_statements", expiration=earlier, **fill):
                su.execute(stmt)
            assert su.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name]).fetchone() is None
