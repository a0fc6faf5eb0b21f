"""A host as the poll link sees it: its SSH settings and probe flags, readable without pydantic."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

from actions.health.target import ProbeFlags, Target
from actions.lab import Host

ROOT = Path(__file__).resolve().parents[2]


def test_flags_follow_the_inventory_groups_and_backup_settings() -> None:
    host = Host(name="pi2", address="10.0.0.2", port=2222, user="pi", key_file=Path("/k"),
                known_hosts=Path("/kh"), groups=["docker_hosts", "backup_target"], backup_root="/mnt/backups",
                offsite_status_file="/var/lib/offsite.json")
    target = Target.of(host)
    assert (target.name, target.address, target.port, target.user) == ("pi2", "10.0.0.2", 2222, "pi")
    assert (target.key_file, target.known_hosts) == (Path("/k"), Path("/kh"))
    assert target.flags == ProbeFlags(docker=True, kube=False, backup_root="/mnt/backups",
                                      offsite_status_file="/var/lib/offsite.json")
    assert Target.of(Host(name="pi1", address="a", groups=["k3s_server"])).flags == ProbeFlags(kube=True)


def test_a_target_unpickles_in_a_process_without_pydantic() -> None:
    """What the poll process reads first: the targets must not pull pydantic in with them."""
    target = Target.of(Host(name="pi3", address="10.0.0.3", key_file=Path("/k"), groups=["docker_hosts"]))
    code = (
        "import pickle, sys\n"
        "target = pickle.loads(bytes.fromhex(sys.argv[1]))\n"
        "print(target.name, target.flags.docker, sorted({m.split('.')[0] for m in sys.modules} & {'pydantic'}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, pickle.dumps(target).hex()], cwd=ROOT, capture_output=True,
                          text=True, check=True, timeout=60)
    assert proc.stdout.split() == ["pi3", "True", "[]"]
