"""The green-field order of 01_system, by the real ``ansible-playbook`` in check mode against this machine
(a local connection; ``--check --diff`` shows what would be written and writes nothing here):

* ``system_dns`` resolves through the fallback alone while Pi-hole does not answer (bootstrap) and puts
  Pi-hole first once something answers on its port 53 (the switch-over);
* ``system_ssl`` takes step-ca's root from the CA host's disk, and says so (without failing) before
  step-ca has created it;
* ``pihole`` and ``step_ca`` take their images from the artifact directory when it is set, and end
  with ``Needs artifact`` (never a failed download) when an image is not there.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from actions.config import REPO_ROOT

pytestmark = pytest.mark.integration

ANSIBLE = REPO_ROOT / "ansible"
BIN = Path(sys.executable).parent
# A loopback address of its own: port 53 on it is free even where a resolver holds 127.0.0.1:53.
PIHOLE = "127.0.3.53"


def run_01(tmp: Path, tags: str, *, check: bool = True, limit: str = "pi1",
           **extra: object) -> subprocess.CompletedProcess[str]:
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    (tmp / "hosts.yml").write_text(yaml.safe_dump({"all": {
        "hosts": {"pi1": local, "pi2": local},
        "children": {"raspberries": {"hosts": {"pi1": None}}, "docker_hosts": {"hosts": {"pi2": None}}},
    }}))
    variables = {"ansible_become": False, "factory_dns_servers": [PIHOLE], "factory_dns_fallback": "192.0.2.1",
                 "system_dns_probe_timeout": 1, **extra}
    env = {**os.environ, "ANSIBLE_CONFIG": str(ANSIBLE / "ansible.cfg"), "ANSIBLE_HOME": str(tmp / "ah"),
           "ANSIBLE_NOCOLOR": "1", "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(tmp / "hosts.yml"), "playbooks/01_system.yml",
         *(["--check", "--diff"] if check else []), "--tags", tags, "--skip-tags", "preflight", "--limit", limit,
         "-e", yaml.safe_dump(variables, default_flow_style=True)],
        cwd=ANSIBLE, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def pihole_answers() -> Iterator[None]:
    """Something listening on Pi-hole's port 53 (what system_dns probes)."""
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((PIHOLE, 53))
        server.listen(8)
        yield


def resolv_conf_diffs(out: str) -> list[str]:
    """The new /etc/resolv.conf of each system_dns run, from --diff (the lines it would write)."""
    blocks = out.split("+++ after:")[1:]
    return ["\n".join(ln[1:] for ln in b.splitlines() if ln.startswith("+") and not ln.startswith("+++"))
            for b in blocks if "nameserver" in b]


def test_a_green_field_resolves_through_the_fallback_alone(tmp_path):
    done = run_01(tmp_path, "dns")
    assert done.returncode == 0, done.stdout[-3000:]
    written = resolv_conf_diffs(done.stdout)
    assert len(written) == 2, done.stdout[-3000:]  # the first play and the switch-over play
    for text in written:
        assert "# mode: bootstrap" in text
        assert "nameserver 192.0.2.1" in text and PIHOLE not in text


def test_once_pihole_answers_it_comes_first(tmp_path, pihole_answers):
    done = run_01(tmp_path, "dns")
    assert done.returncode == 0, done.stdout[-3000:]
    for text in resolv_conf_diffs(done.stdout):
        servers = [ln.split()[1] for ln in text.splitlines() if ln.startswith("nameserver")]
        assert "# mode: pihole" in text and servers == [PIHOLE, "192.0.2.1"]


def test_first_trust_takes_the_root_from_the_ca_host_s_disk(tmp_path):
    root = tmp_path / "root_ca.crt"
    root.write_text("-----BEGIN CERTIFICATE-----\nMIIBfakeRootForTheTest\n-----END CERTIFICATE-----\n")
    done = run_01(tmp_path, "ssl", system_ssl_ca_root_path=str(root))
    assert done.returncode == 0, done.stdout[-3000:]
    assert "Install step-ca's root certificate into the trust store" in done.stdout
    assert "+MIIBfakeRootForTheTest" in done.stdout


def test_before_step_ca_exists_trust_waits_and_says_so(tmp_path):
    done = run_01(tmp_path, "ssl", system_ssl_ca_root_path=str(tmp_path / "missing.crt"))
    assert done.returncode == 0, done.stdout[-3000:]
    assert "step-ca's root is not at pi2:" in done.stdout
    assert "Install step-ca's root certificate" not in done.stdout


def test_pihole_and_step_ca_name_the_image_they_need_and_stop_cleanly(tmp_path):
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    done = run_01(tmp_path, "pihole,step_ca", check=False, limit="pi2", factory_artifact_dir=str(artifacts))
    assert done.returncode == 0, done.stdout[-3000:]
    assert "failed=0" in done.stdout
    for image in ("images/pihole.tar", "images/step-ca.tar"):
        assert f"{artifacts}/{image}" in done.stdout
    for role in ("pihole", "step_ca"):  # the line `factory-tui rehearse` reads names the role itself
        assert f"needs artifact for {role}: container image" in done.stdout
    # Each role ended before touching the host: no data directory, no compose project.
    assert "Create the data director" not in done.stdout and "Deploy" not in done.stdout
