"""The CI workflows that plan and apply the OpenTofu roots (``.gitea/workflows``).

Checks the triggers and path filters, that only the default branch applies, that the Vault roles
and secret paths match what ``iac/vault.tf`` grants, and that no step can print a secret.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

try:
    from . import iac_hcl
except ImportError:
    import iac_hcl  # type: ignore[no-redef]

REPO = iac_hcl.REPO_ROOT
WORKFLOWS = REPO / ".gitea" / "workflows"
SCRIPTS = REPO / ".gitea" / "scripts"
# Workflow file -> the root it owns, and that root's key in iac/vault.tf's ci_managed_paths.
ROOT_OF = {"iac.yml": ("iac", "iac"), "postgres.yml": ("postgres/iac", "postgres")}
PRINTERS = {"echo", "printf", "cat", "tee", "env", "printenv", "set", "declare", "export -p"}


def load(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as True.
    if True in doc:
        doc["on"] = doc.pop(True)
    return doc


def steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for job in doc["jobs"].values() for s in job["steps"]]


def test_one_workflow_per_root():
    assert sorted(p.name for p in WORKFLOWS.glob("*.yml")) == sorted(ROOT_OF)
    for name, (root, _) in ROOT_OF.items():
        assert load(WORKFLOWS / name)["env"]["TF_ROOT"] == root


@pytest.mark.parametrize("name", sorted(ROOT_OF))
def test_triggers_are_path_filtered_to_the_root_and_the_workflow(name):
    on = load(WORKFLOWS / name)["on"]
    root, _ = ROOT_OF[name]
    assert set(on) == {"push", "pull_request", "workflow_dispatch"}
    for event in ("push", "pull_request"):
        paths = on[event]["paths"]
        assert f".gitea/workflows/{name}" in paths
        top = root.split("/")[0]
        assert f"{top}/**" in paths, f"{event} must fire on any change under {top}/"
        # Nothing outside the root, the workflow and its scripts may trigger it.
        assert all(p.startswith((f"{top}/", ".gitea/workflows/" + name, ".gitea/scripts/")) for p in paths)
    assert on["push"]["branches"] == ["main"]


@pytest.mark.parametrize("name", sorted(ROOT_OF))
def test_pull_requests_plan_and_only_the_default_branch_applies(name):
    doc = load(WORKFLOWS / name)
    apply_expr = doc["env"]["APPLY"]
    assert "github.event_name != 'pull_request'" in apply_expr
    assert "github.ref == format('refs/heads/{0}', github.event.repository.default_branch)" in apply_expr
    by_name = {s.get("name"): s for s in steps(doc)}
    plan, apply_ = by_name["Plan"], by_name["Apply"]
    assert "if" not in plan and "-out=tfplan" in plan["run"]
    assert apply_["if"] == "env.APPLY == 'true'"
    assert apply_["run"].rstrip().endswith("apply -input=false -lock-timeout=5m tfplan")
    assert doc["concurrency"]["cancel-in-progress"] is False


def vault_login_args(doc: dict[str, Any]) -> list[str]:
    for step in steps(doc):
        run = step.get("run", "")
        if "vault-login.sh" in run:
            return shlex.split(run[run.index("vault-login.sh"):].replace("\\\n", " "))[1:]
    raise AssertionError("no step logs in to Vault")


@pytest.mark.parametrize("name", sorted(ROOT_OF))
def test_vault_login_uses_the_jobs_oidc_token_and_the_roots_role(name):
    doc = load(WORKFLOWS / name)
    _, key = ROOT_OF[name]
    assert doc["permissions"]["id-token"] == "write"
    iac = iac_hcl.load_module(REPO / "iac")
    assert key in iac.locals["ci_managed_paths"]
    assert iac.resources[("vault_jwt_auth_backend_role", "ci")]["role_name"] == '"factory-${each.key}"'
    args = vault_login_args(doc)
    assert args[0] == f"factory-{key}-$stage"
    for spec in args[1:]:
        env_name, ref = spec.split("=", 1)
        path, _, field = ref.partition("#")
        assert env_name.isupper() or env_name.startswith("TF_VAR_")
        assert field, spec
        # The policy of factory-<root>-* reads kv/data/ci/<root>/* and kv/data/ci/gcp only.
        assert path == "kv/data/ci/gcp" or path.startswith(f"kv/data/ci/{key}/"), spec


def test_vault_login_script_and_jwt_backend_agree():
    iac = iac_hcl.load_module(REPO / "iac")
    assert iac.resources[("vault_jwt_auth_backend", "gitea")]["path"] == '"gitea-actions"'
    script = (SCRIPTS / "vault-login.sh").read_text()
    assert "mount=${VAULT_JWT_MOUNT:-gitea-actions}" in script
    assert "ACTIONS_ID_TOKEN_REQUEST_URL" in script and "ACTIONS_ID_TOKEN_REQUEST_TOKEN" in script
    for name in ROOT_OF:
        aud = load(WORKFLOWS / name)["env"]["VAULT_JWT_AUDIENCE"]
        assert f'"{aud}"' == iac.variables["ci_jwt_audience"]["default"]


# --- secrets never printed --------------------------------------------------------------------------

def logical_lines(script: str) -> list[str]:
    return [ln.strip() for ln in script.replace("\\\n", " ").splitlines() if ln.strip()
            and not ln.strip().startswith("#")]


def prints_secret(line: str, secret_names: set[str]) -> str | None:
    """The secret a shell line would print to the log, if any."""
    if "::add-mask::" in line:
        return None
    for segment in re.split(r"\|\||&&|;|\bthen\b|\bdo\b", line):
        # Only the last command of a pipe writes to the log; a redirect sends it to a file.
        words = segment.split("|")[-1].strip() if "|" in segment else segment.strip()
        if not words or re.search(r"(^|\s)\d?>>?", words):
            continue
        first = words.split()[0] if words.split() else ""
        if first not in PRINTERS and not words.startswith("export -p"):
            continue
        if first in {"env", "printenv", "set", "declare"} and len(words.split()) == 1:
            return "the whole environment"
        for name in secret_names:
            if re.search(r"\$\{?" + re.escape(name) + r"\b", words):
                return name
    return None


def secret_names_of(doc: dict[str, Any], step: dict[str, Any]) -> set[str]:
    env = {**doc.get("env", {}), **step.get("env", {})}
    names = {k for k, v in env.items() if "secrets." in str(v)}
    names |= {spec.split("=", 1)[0] for spec in vault_login_args(doc)[1:]}
    return names | {"VAULT_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"}


def workflow_leaks(doc: dict[str, Any]) -> list[str]:
    leaks = []
    for step in steps(doc):
        run = step.get("run")
        if run is None:
            continue
        where = step.get("name", run[:30])
        if "${{" in run and "secrets." in run:
            leaks.append(f"{where}: interpolates a secret into the script text")
        if re.search(r"^\s*set\s+-[a-z]*x", run, re.M):
            leaks.append(f"{where}: set -x traces every command")
        for line in logical_lines(run):
            if name := prints_secret(line, secret_names_of(doc, step)):
                leaks.append(f"{where}: prints {name}: {line}")
    return leaks


@pytest.mark.parametrize("name", sorted(ROOT_OF))
def test_no_step_prints_a_secret(name):
    assert workflow_leaks(load(WORKFLOWS / name)) == []


@pytest.mark.parametrize("script", sorted(SCRIPTS.glob("*.sh")), ids=lambda p: p.name)
def test_scripts_mask_before_they_export_and_never_print_a_secret(script):
    text = script.read_text()
    assert not re.search(r"^\s*set\s+-[a-z]*x", text, re.M)
    masked = set(re.findall(r'mask "\$(\w+)"', text))
    secrets = masked | {"VAULT_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "JWT"}
    leaks = [ln for ln in logical_lines(text) if prints_secret(ln, secrets)]
    assert leaks == []
    if script.name == "vault-login.sh":
        assert {"jwt", "token", "value"} <= masked
        # Each masked value is masked before it is handed on.
        for var in ("token", "value"):
            exported = re.search(r'export_env .*"\$' + var + '"', text)
            assert exported and text.index(f'mask "${var}"') < exported.start()


@pytest.mark.parametrize(
    "bad",
    [
        'echo "$VAULT_TOKEN"',
        "printf '%s' ${CLOUDFLARE_API_TOKEN}",
        "env",
        'echo "token: ${{ secrets.VAULT_ADDR }}"',
        "set -x\ntofu plan",
        'cat <<<"$PGPASSWORD"',
    ],
)
def test_the_leak_check_catches(bad):
    doc = load(WORKFLOWS / "iac.yml")
    doc["jobs"]["tofu"]["steps"].append({"name": "leaky", "run": bad, "env": {"X": "${{ secrets.X }}"}})
    doc["jobs"]["tofu"]["steps"][-1]["env"]["PGPASSWORD"] = "${{ secrets.PG }}"
    assert any(leak.startswith("leaky:") for leak in workflow_leaks(doc))


@pytest.mark.parametrize(
    "fine",
    [
        "printf '%s\\n' \"$VAULT_CACERT_PEM\" > \"$ca\"",
        "printf 'X-Vault-Token: %s\\n' \"$VAULT_TOKEN\" | curl -H @- https://vault",
        'echo "::add-mask::$VAULT_TOKEN"',
        'echo "planning $TF_ROOT"',
    ],
)
def test_the_leak_check_lets_safe_lines_through(fine):
    assert prints_secret(fine, {"VAULT_CACERT_PEM", "VAULT_TOKEN"}) is None
