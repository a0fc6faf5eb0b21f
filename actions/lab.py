"""The lab model, read from the Ansible inventory through Ansible's own inventory machinery.

The inventory is the one source of truth for hosts: groups, ``ansible_host``, ``ansible_port``,
``ansible_user``, ``ansible_ssh_private_key_file`` and ``host_vars``/``group_vars`` resolve exactly as
they do for ``ansible-playbook``. A few ``factory_*`` variables in ``all.vars`` describe the lab itself.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field


class InventoryError(Exception):
    """The inventory cannot be used; the message names the path and what is wrong."""


class Host(BaseModel):
    """One machine of the lab, as Ansible would connect to it."""

    name: str
    address: str
    port: int = 22
    user: str | None = None
    key_file: Path | None = None
    known_hosts: Path | None = Field(None, description="From -o UserKnownHostsFile in the ssh args, if any.")
    groups: list[str] = Field(default_factory=list)
    backup_root: str | None = Field(
        None, description="Where the backup role writes, on hosts of `backup_target` (its `backup_root`)."
    )
    offsite_status_file: str | None = Field(
        None, description="The off-site copy's status file, on a watched backup host whose copy is set up."
    )

    def in_group(self, group: str) -> bool:
        """The host is in ``group``."""
        return group in self.groups


class Lab(BaseModel):
    """The hosts of one inventory and what the inventory says of the lab."""

    name: str
    kind: Literal["real", "sandbox", "rehearsal"] = "real"
    inventory: Path
    hosts: list[Host]
    groups: dict[str, list[str]] = Field(default_factory=dict, description="group -> host names")
    vault_addr: str | None = None
    postgres_host: str | None = None
    postgres_port: int | None = None

    def host(self, name: str) -> Host:
        """The host ``name``; ``KeyError`` when the lab has none."""
        for host in self.hosts:
            if host.name == name:
                return host
        raise KeyError(name)

    def host_names(self) -> list[str]:
        """The hosts' names, in inventory order."""
        return [host.name for host in self.hosts]

    def resolve_limit(self, limit: str | None) -> list[str]:
        """Host names that an Ansible ``--limit`` pattern selects, as Ansible selects them."""
        if not limit:
            return self.host_names()
        manager, _ = _load(self.inventory)
        manager.subset(limit)
        chosen = {h.name for h in manager.get_hosts(pattern="all")}
        return [name for name in self.host_names() if name in chosen]


# Ansible reports an unparsable source as a warning and carries on with an empty inventory; these
# make it an error we can catch and word for the operator.
os.environ.setdefault("ANSIBLE_INVENTORY_UNPARSED_FAILED", "True")
os.environ.setdefault("ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED", "True")


def _load(path: Path) -> tuple[Any, Any]:
    from ansible.errors import AnsibleError
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader
    from ansible.vars.manager import VariableManager

    if path.is_file() and path.suffix in (".yml", ".yaml"):
        _check_yaml(path)
    loader = DataLoader()
    try:
        with _quiet_ansible():
            manager = InventoryManager(loader=loader, sources=[str(path)])
    except AnsibleError as exc:
        raise InventoryError(f"{path}: {_first_line(exc)}") from None
    return manager, VariableManager(loader=loader, inventory=manager)


def _check_yaml(path: Path) -> None:
    """Word a YAML syntax error ourselves: Ansible's own names every plugin it tried."""
    import yaml

    try:
        yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InventoryError(f"{path}: invalid YAML{where}: {problem}") from None
    except OSError as exc:
        raise InventoryError(f"{path}: cannot read: {exc.strerror}") from None


@contextmanager
def _quiet_ansible() -> Iterator[None]:
    """Keep Ansible's parser warnings off the operator's terminal; failures surface as InventoryError."""
    from ansible.utils.display import Display

    display = Display()
    names = ("warning", "error_as_warning")
    saved = {name: getattr(display, name) for name in names}
    for name in names:
        setattr(display, name, lambda *args, **kwargs: None)
    try:
        yield
    finally:
        for name, method in saved.items():
            setattr(display, name, method)


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "message", None) or exc).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return (lines or ["cannot be parsed"])[0]


def _known_hosts_from(args: str) -> Path | None:
    words = shlex.split(args)
    for i, word in enumerate(words):
        opt = None
        if word == "-o" and i + 1 < len(words):
            opt = words[i + 1]
        elif word.startswith("-o") and len(word) > 2:
            opt = word[2:]
        if opt and opt.lower().startswith("userknownhostsfile"):
            value = opt.split("=", 1)[1] if "=" in opt else opt.split(None, 1)[-1]
            return Path(value.strip()).expanduser()
    return None


#: The backup role's default ``backup_root``; the inventory may set another per host or group.
DEFAULT_BACKUP_ROOT = "/mnt/backups"
BACKUP_GROUP = "backup_target"
#: The backup role's default ``backup_offsite_status_file``.
DEFAULT_OFFSITE_STATUS_FILE = "/var/lib/factory-backup/offsite.status"


def _backup_root(ans_host: Any, hv: dict[str, Any]) -> str | None:
    """The backup host's ``backup_root``; ``None`` elsewhere, and where ``factory_backups_watched`` is false
    (a lab that keeps no backups, such as the sandbox)."""
    if not any(g.name == BACKUP_GROUP for g in ans_host.get_groups()):
        return None
    if str(hv.get("factory_backups_watched", True)).lower() in ("false", "no", "0"):
        return None
    return str(hv.get("backup_root") or DEFAULT_BACKUP_ROOT)


def _offsite_status_file(hv: dict[str, Any], backup_root: str | None) -> str | None:
    """Where a watched backup host records its off-site copy; ``None`` where no repository is set (no copy
    runs there, so no status is missing)."""
    if backup_root is None or not hv.get("backup_offsite_repository"):
        return None
    return str(hv.get("backup_offsite_status_file") or DEFAULT_OFFSITE_STATUS_FILE)


def load_lab(inventory: Path | str) -> Lab:
    """Read ``inventory`` (a file or a directory) into a :class:`Lab`, or raise :class:`InventoryError`."""
    path = Path(inventory).expanduser()
    if not path.exists():
        raise InventoryError(f"{path}: inventory not found")
    manager, variables = _load(path)
    hosts: list[Host] = []
    lab_vars: dict[str, Any] = {}
    for ans_host in manager.get_hosts(pattern="all"):
        hv = variables.get_vars(host=ans_host, include_hostvars=False)
        if not lab_vars:
            lab_vars = hv
        ssh_args = " ".join(
            str(hv.get(k) or "") for k in ("ansible_ssh_common_args", "ansible_ssh_extra_args")
        )
        key = hv.get("ansible_ssh_private_key_file") or hv.get("ansible_private_key_file")
        try:
            port = int(hv.get("ansible_port") or hv.get("ansible_ssh_port") or 22)
        except (TypeError, ValueError):
            raise InventoryError(f"{path}: host {ans_host.name}: ansible_port is not a number") from None
        hosts.append(
            Host(
                name=ans_host.name,
                address=str(hv.get("ansible_host") or ans_host.name),
                port=port,
                user=hv.get("ansible_user") or hv.get("ansible_ssh_user"),
                key_file=Path(str(key)).expanduser() if key else None,
                known_hosts=_known_hosts_from(ssh_args),
                groups=sorted(g.name for g in ans_host.get_groups() if g.name not in ("all", "ungrouped")),
                backup_root=(root := _backup_root(ans_host, hv)),
                offsite_status_file=_offsite_status_file(hv, root),
            )
        )
    if not hosts:
        raise InventoryError(f"{path}: the inventory has no hosts")
    groups = {
        name: sorted(h.name for h in group.get_hosts())
        for name, group in manager.groups.items()
        if name not in ("all", "ungrouped")
    }
    pg_port = lab_vars.get("factory_postgres_port")
    return Lab(
        name=str(lab_vars.get("factory_lab_name") or path.stem),
        kind=_kind(lab_vars.get("factory_lab_kind")),
        inventory=path,
        hosts=hosts,
        groups=groups,
        vault_addr=lab_vars.get("factory_vault_addr") or lab_vars.get("vault_addr"),
        postgres_host=lab_vars.get("factory_postgres_host"),
        postgres_port=int(pg_port) if pg_port else None,
    )


def _kind(value: object) -> Literal["real", "sandbox", "rehearsal"]:
    """The lab's kind from ``factory_lab_kind``; anything unknown is treated as the real lab (the safe side)."""
    if value == "sandbox":
        return "sandbox"
    if value == "rehearsal":
        return "rehearsal"
    return "real"
