"""Longhorn's backups: the ``k3s_longhorn`` role, run by the real Ansible against this machine as the k3s
server, declares a RecurringJob that backs up every volume with retention, in a manifest of its own
beside the chart's, pointing at the backup target on the NFS share; a second run changes nothing."""

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


def converge(tmp: Path) -> subprocess.CompletedProcess[str]:
    (tmp / "hosts.yml").write_text(yaml.safe_dump({"all": {
        "hosts": {"pi1": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
                  "pi2": {"ansible_host": "pi2.home"}},
        "children": {"k3s_server": {"hosts": {"pi1": None}}, "backup_target": {"hosts": {"pi2": None}}},
    }}))
    (tmp / "play.yml").write_text(yaml.safe_dump([{
        "name": "Longhorn", "hosts": "k3s_server", "gather_facts": False,
        "vars": {"factory_domain": "arcodange.lab", "k3s_longhorn_manifests_dir": str(tmp / "manifests")},
        "roles": [{"role": "k3s_longhorn"}],
    }]))
    env = {**os.environ, "ANSIBLE_CONFIG": str(ANSIBLE / "ansible.cfg"), "ANSIBLE_HOME": str(tmp / "ah"),
           "ANSIBLE_ROLES_PATH": str(ANSIBLE / "roles"), "ANSIBLE_NOCOLOR": "1",
           "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run([str(BIN / "ansible-playbook"), "-i", str(tmp / "hosts.yml"), str(tmp / "play.yml")],
                          env=env, capture_output=True, text=True, timeout=300)


def test_every_volume_is_backed_up_with_retention(tmp_path):
    first = converge(tmp_path)
    assert first.returncode == 0, first.stdout[-3000:]
    job = yaml.safe_load((tmp_path / "manifests/factory-longhorn-recurring.yaml").read_text())
    assert (job["apiVersion"], job["kind"]) == ("longhorn.io/v1beta2", "RecurringJob")
    spec = job["spec"]
    assert spec["task"] == "backup" and spec["groups"] == ["default"]  # every volume without a job of its own
    assert spec["retain"] == 7 and spec["cron"] == "30 3 * * *"
    chart = list(yaml.safe_load_all((tmp_path / "manifests/factory-longhorn.yaml").read_text()))
    values = yaml.safe_load(next(d for d in chart if d["kind"] == "HelmChart")["spec"]["valuesContent"])
    assert values["defaultBackupStore"]["backupTarget"] == "nfs://pi2.home:/mnt/backups/longhorn"
    nfs = yaml.safe_load((ANSIBLE / "roles/backup_nfs/defaults/main.yml").read_text())
    # The target's directory is one backup_nfs creates in its export.
    assert values["defaultBackupStore"]["backupTarget"].endswith(
        f":{nfs['backup_nfs_path']}/{nfs['backup_nfs_subdirs'][0]}")
    again = converge(tmp_path)
    assert again.returncode == 0 and "changed=0" in again.stdout, again.stdout[-2000:]
