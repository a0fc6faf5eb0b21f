"""Gitea's joins, rendered by the real Ansible from the roles' own templates:

* ``gitea_route``: ``02_setup.yml --tags gitea_route`` run for real against this machine as the k3s
  server writes a Service, its EndpointSlice (the docker host's name resolved to an address) and an
  Ingress for gitea.<domain>; a second run changes nothing.
* ``gitea_runner``: the act_runner configuration mounts the host's CA bundle (step-ca's root) into
  every job container, allows that volume, and points Node, git and OpenSSL at it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from actions.config import REPO_ROOT

pytestmark = pytest.mark.integration

ANSIBLE = REPO_ROOT / "ansible"
BIN = Path(sys.executable).parent


def env(tmp: Path) -> dict[str, str]:
    return {**os.environ, "ANSIBLE_CONFIG": str(ANSIBLE / "ansible.cfg"), "ANSIBLE_HOME": str(tmp / "ah"),
            "ANSIBLE_NOCOLOR": "1", "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def route_run(tmp: Path) -> subprocess.CompletedProcess[str]:
    inv = tmp / "hosts.yml"
    inv.write_text(yaml.safe_dump({"all": {
        "hosts": {"pi1": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
                  "pi2": {"ansible_host": "localhost"}},
        "children": {"k3s_server": {"hosts": {"pi1": None}}, "docker_hosts": {"hosts": {"pi2": None}}},
    }}))
    extra = {"ansible_become": False, "gitea_route_manifests_dir": str(tmp / "manifests")}
    return subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(inv), "playbooks/02_setup.yml", "--tags", "gitea_route",
         "--skip-tags", "preflight", "-e", yaml.safe_dump(extra, default_flow_style=True)],
        cwd=ANSIBLE, env=env(tmp), capture_output=True, text=True, timeout=300)


def test_gitea_route_points_traefik_at_the_docker_host(tmp_path):
    first = route_run(tmp_path)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-2000:]
    docs = {d["kind"]: d for d in yaml.safe_load_all((tmp_path / "manifests/factory-gitea-route.yaml").read_text())}
    assert set(docs) == {"Service", "EndpointSlice", "Ingress"}
    service, eps, ingress = docs["Service"], docs["EndpointSlice"], docs["Ingress"]
    assert "selector" not in service["spec"] and service["spec"]["ports"][0]["port"] == 3000
    assert eps["metadata"]["labels"]["kubernetes.io/service-name"] == service["metadata"]["name"]
    assert eps["metadata"]["namespace"] == service["metadata"]["namespace"] == ingress["metadata"]["namespace"]
    assert eps["endpoints"][0]["addresses"] == ["127.0.0.1"]  # pi2's ansible_host, resolved on pi1
    assert eps["ports"][0]["port"] == 3000
    rule = ingress["spec"]["rules"][0]
    assert rule["host"] == "gitea.arcodange.lab" and ingress["spec"]["tls"][0]["hosts"] == ["gitea.arcodange.lab"]
    assert rule["http"]["paths"][0]["backend"]["service"] == {"name": "gitea", "port": {"number": 3000}}
    again = route_run(tmp_path)
    assert again.returncode == 0 and "changed=0" in again.stdout, again.stdout[-2000:]


def test_runner_jobs_trust_step_ca_s_root(tmp_path):
    role = ANSIBLE / "roles" / "gitea_runner"
    play = tmp_path / "render.yml"
    play.write_text(yaml.safe_dump([{
        "name": "Render the runner configuration", "hosts": "localhost", "gather_facts": False,
        "vars_files": [str(role / "defaults/main.yml")],
        "tasks": [{"name": "Render", "ansible.builtin.template": {
            "src": str(role / "templates/config.yaml.j2"), "dest": str(tmp_path / "config.yaml"), "mode": "0600"}}],
    }]))
    done = subprocess.run([str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(play),
                           "-e", f"ansible_python_interpreter={sys.executable}"],
                          env=env(tmp_path), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:]
    config = yaml.safe_load((tmp_path / "config.yaml").read_text())
    bundle = "/etc/ssl/certs/ca-certificates.crt"
    assert f"-v {bundle}:{bundle}:ro" in config["container"]["options"]
    assert config["container"]["valid_volumes"] == [bundle]  # act_runner refuses mounts not listed here
    for name in ("NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "GIT_SSL_CAINFO"):
        assert config["runner"]["envs"][name] == bundle
    assert config["container"]["privileged"] is False
