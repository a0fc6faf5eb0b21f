-- pgbouncer's auth_query target: hands pgbouncer the password hash of a role that may log in now.
--
-- Run once in every database pgbouncer serves (pgbouncer 1.18 has no auth_dbname: it calls the
-- function in the database the client asked for). Run by postgres/iac through psql as a superuser:
--   psql -v ON_ERROR_STOP=1 -v auth_role=pgbouncer -d <database> -f user_lookup.sql
-- pgbouncer.ini then says:
--   auth_user  = pgbouncer
--   auth_query = SELECT usename, passwd FROM user_lookup($1)
--
-- Why each clause:
-- * SECURITY DEFINER: the function runs as its owner (a superuser), so pgbouncer can fetch one hash
--   without ever being allowed to read pg_authid itself.
-- * SET search_path: a definer function must not resolve names through the caller's search_path,
--   or a caller could shadow pg_catalog objects with its own.
-- * rolcanlogin / rolvaliduntil: NOLOGIN roles and expired ones (Vault's dynamic credentials carry
--   VALID UNTIL) get no row, so pgbouncer refuses them before PostgreSQL is even asked.
-- * NOT rolsuper: superuser hashes never leave the server through pgbouncer.
-- * EXECUTE is revoked from PUBLIC and granted to the auth role alone.

\set ON_ERROR_STOP on

BEGIN;

CREATE OR REPLACE FUNCTION public.user_lookup(i_username text)
RETURNS TABLE (usename name, passwd text)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT a.rolname, a.rolpassword
    FROM pg_catalog.pg_authid AS a
   WHERE a.rolname = i_username
     AND a.rolcanlogin
     AND NOT a.rolsuper
     AND (a.rolvaliduntil IS NULL OR a.rolvaliduntil > pg_catalog.now())
$fn$;

COMMENT ON FUNCTION public.user_lookup(text) IS
  'pgbouncer auth_query: password hash of a login, non-superuser, unexpired role. Managed by postgres/iac.';

REVOKE ALL ON FUNCTION public.user_lookup(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.user_lookup(text) TO :"auth_role";

COMMIT;
