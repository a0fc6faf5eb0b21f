"""The off-site copy's secrets reach only root-only files, with no_log; no unit file or script
template names them, and the copy unit runs after the local dumps on its own timer."""

from __future__ import annotations

import re

import jinja2
import yaml

from actions.config import REPO_ROOT

ROLE = REPO_ROOT / "ansible" / "roles" / "backup"
# The secret variables themselves, not the *_file paths they are written to.
SECRET = re.compile(r"\bbackup_offsite_(password|credentials)\b(?!_)")


def test_secrets_are_written_only_to_root_only_files_without_logging() -> None:
    tasks = yaml.safe_load((ROLE / "tasks" / "offsite.yml").read_text())
    writers = [t for t in tasks if SECRET.search(yaml.safe_dump(t))]
    assert len(writers) == 2
    for task in writers:
        assert task["no_log"] is True and task["diff"] is False
        assert task["ansible.builtin.copy"]["mode"] == "0600"
        assert task["ansible.builtin.copy"]["owner"] == "root"


def test_no_template_names_a_secret() -> None:
    for template in (ROLE / "templates").iterdir():
        assert not SECRET.search(template.read_text()), template.name


def test_the_copy_unit_follows_the_local_dumps_and_fails_with_its_script() -> None:
    env = jinja2.Environment(trim_blocks=True, undefined=jinja2.StrictUndefined)
    unit = env.from_string((ROLE / "templates" / "backup.service.j2").read_text()).render(
        item="offsite", ansible_managed="managed", backup_root="/mnt/backups",
        backup_scripts_dir="/usr/local/sbin", backup_script_prefix="factory-")
    assert "After=network-online.target factory-backup-postgres.service factory-backup-gitea.service" in unit
    assert "ExecStart=/usr/local/sbin/factory-offsite-backup\n" in unit or unit.endswith("factory-offsite-backup")
    assert "Type=oneshot" in unit
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    schedules = defaults["backup_schedules"]
    assert max(schedules[j] for j in ("postgres", "gitea")) < schedules["offsite"]
