"""Settings: a TOML file in the platform config dir plus ``FACTORY_<FIELD>`` environment overrides.

Precedence, highest first: values passed in code, environment (``FACTORY_STATE_DIR``,
``FACTORY_HEALTH__INTERVAL`` for nested fields; a list or a whole section as JSON, e.g.
``FACTORY_TOFU__ROOTS='["/srv/iac"]'``), the TOML file, the defaults below. Names are read without regard
to case; a ``FACTORY_`` variable that names no setting (``FACTORY_LOG_LEVEL``) is left to its reader.
A broken file raises :class:`ConfigError` with one readable line: file, key, what is wrong.

The sources are merged here, then validated by the pydantic models at once: a settings library would cost
every start of the app a tenth of a second to import, for these few lines.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError

APP_NAME = "factory-tui"
#: The repository root, when the package runs from a checkout (editable install or source tree).
REPO_ROOT = Path(__file__).resolve().parent.parent


def default_config_file() -> Path:
    """The settings file in the platform's config dir."""
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


class ConfigError(Exception):
    """A settings file or override that cannot be used; the message is meant for the operator."""


class _Section(BaseModel):
    """A section of the settings: a key it does not know is a mistake to name, not to ignore."""

    model_config = ConfigDict(extra="forbid")


class Thresholds(_Section):
    """Health limits: a reading past ``*_warn`` is warn, past ``*_crit`` is critical."""

    temp_warn_c: float = Field(70.0, description="CPU temperature (C) that is a warning.")
    temp_crit_c: float = Field(80.0, description="CPU temperature (C) that is critical.")
    load_per_core_warn: float = Field(1.5, description="1-minute load divided by cores: warning.")
    load_per_core_crit: float = Field(3.0, description="1-minute load divided by cores: critical.")
    mem_available_warn_pct: float = Field(15.0, description="Available memory (%) at or below: warning.")
    mem_available_crit_pct: float = Field(5.0, description="Available memory (%) at or below: critical.")
    disk_used_warn_pct: float = Field(80.0, description="Used disk (%) at or above: warning.")
    disk_used_crit_pct: float = Field(90.0, description="Used disk (%) at or above: critical.")
    clock_offset_crit_s: float = Field(2.0, description="Clock offset against this machine (s): critical.")
    backup_warn_hours: float = Field(26.0, gt=0, description="Newest backup of a kind older than this (h): warning.")
    backup_crit_hours: float = Field(50.0, gt=0, description="Newest backup of a kind older than this (h): critical.")
    backup_shrink_ratio: float = Field(
        0.5, ge=0, le=1, description="A dump under this fraction of the one before it: warning."
    )


class HealthSettings(_Section):
    """The live health glance."""

    interval: float = Field(2.0, gt=0, description="Seconds between two refreshes of every host.")
    history_minutes: float = Field(10.0, gt=0, description="Minutes of load/temperature kept for sparklines.")
    fingerprint_minutes: float = Field(
        10.0, gt=0, description="Minutes between two fingerprints of a host (read on a slow tick) for the diff."
    )
    connect_timeout: float = Field(5.0, gt=0, description="Seconds to wait for an SSH connection.")
    thresholds: Thresholds = Field(default_factory=Thresholds, description="ok/warn/critical limits.")


class VaultSettings(_Section):
    """Where Vault is and how to trust it."""

    addr: str | None = Field(
        None,
        description="The real lab's Vault address; $VAULT_ADDR wins over it, the inventory's `vault_addr` comes "
        "after it. A sandbox's or rehearsal lab's own Vault always wins over both.",
    )
    ca_cert: Path | None = Field(
        None, description="CA bundle (step-ca root) to verify Vault's TLS; $VAULT_CACERT wins over it."
    )
    timeout: float = Field(5.0, gt=0, description="Seconds for one Vault API call.")


class TofuSettings(_Section):
    """OpenTofu / Terraform."""

    binary: str | None = Field(None, description="Path of the tofu/terraform binary; unset: tofu, then terraform.")
    roots: list[Path] = Field(default_factory=list, description="Extra roots besides iac/ and postgres/iac/.")
    plan_max_age_minutes: float = Field(15.0, gt=0, description="A saved plan older than this is stale.")


class AnsibleSettings(_Section):
    """Playbook runs."""

    playbook_dir: Path = Field(REPO_ROOT / "ansible", description="The collection checkout with playbooks.")
    forks: int = Field(5, ge=1, description="Parallel hosts per task.")


class SandboxSettings(_Section):
    """The local rehearsal lab (`factory-tui sandbox up`)."""

    ssh_port_base: int = Field(2221, ge=1, le=65000, description="pi1 listens on this port, pi2 on +1, pi3 on +2.")
    vault_port: int = Field(8210, ge=1, le=65535, description="Port of the sandbox's OpenBao server.")
    postgres_port: int = Field(55432, ge=1, le=65535, description="Port of the sandbox's PostgreSQL server.")
    sshd_binary: str | None = Field(None, description="sshd to run; unset: PATH, then /usr/sbin/sshd.")
    account: str = Field(
        "factory-sandbox",
        description="Unprivileged account the sandbox logs in as when started by root.",
    )


class RehearsalSettings(_Section):
    """The rehearsal hosts (`factory-tui sandbox up --rehearsal`): root Debian 12 systems for real runs."""

    image_dir: Path = Field(
        Path(platformdirs.user_cache_dir(APP_NAME)) / "rehearsal",
        description="Where the base image and the package cache are kept, shared by every rehearsal lab.",
    )
    mirror: str | None = Field(None, description="Debian mirror for the base image; unset: debootstrap's default.")
    artifact_dir: Path | None = Field(
        None,
        description="What the roles would download (k3s, images, charts); unset: <state dir>/artifacts.",
    )
    boot_timeout: float = Field(90.0, gt=0, description="Seconds a host may take from start to a running systemd.")


class Settings(BaseModel):
    """Everything the app can be told. Each field reads as ``FACTORY_<FIELD>`` from the environment
    (see :func:`load_settings`)."""

    model_config = ConfigDict(extra="forbid", validate_default=True)

    inventory: Path = Field(
        REPO_ROOT / "ansible" / "inventory" / "hosts.yml",
        description="Ansible inventory of the lab; `sandbox` and `rehearsal` mean those labs' inventories.",
    )
    state_dir: Path = Field(
        Path(platformdirs.user_state_dir(APP_NAME)),
        description="Journal, run artifacts, plans and the sandbox live here.",
    )
    operator: str = Field(
        default_factory=lambda: os.environ.get("USER") or os.environ.get("LOGNAME") or "operator",
        description="Name recorded in the journal as who confirmed what.",
    )
    health: HealthSettings = Field(default_factory=HealthSettings, description="Health glance.")
    vault: VaultSettings = Field(default_factory=VaultSettings, description="Vault.")
    tofu: TofuSettings = Field(default_factory=TofuSettings, description="OpenTofu.")
    ansible: AnsibleSettings = Field(default_factory=AnsibleSettings, description="Playbook runs.")
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings, description="Sandbox lab.")
    rehearsal: RehearsalSettings = Field(default_factory=RehearsalSettings, description="Rehearsal hosts.")

    # Set by load_settings(); not a setting of its own.
    _config_file: Path | None = None

    @property
    def config_file(self) -> Path | None:
        """The settings file read, or ``None`` when there was none."""
        return self._config_file

    @property
    def sandbox_dir(self) -> Path:
        """Where the sandbox lab keeps its state."""
        return self.state_dir / "sandbox"

    @property
    def rehearsal_dir(self) -> Path:
        """Where the rehearsal lab keeps its hosts."""
        return self.sandbox_dir / "rehearsal"

    @property
    def artifact_dir(self) -> Path:
        """The local directory of downloads (k3s, images, charts) the rehearsal lab's roles read from."""
        return self.rehearsal.artifact_dir or self.state_dir / "artifacts"

    def resolve_inventory(self, value: str | Path | None = None) -> Path:
        """The inventory path for ``-i VALUE`` (or the configured one); ``sandbox`` is an alias."""
        raw = self.inventory if value is None else value
        if str(raw) == "sandbox":
            return self.sandbox_dir / "inventory.yml"
        if str(raw) == "rehearsal":
            return self.rehearsal_dir / "inventory.yml"
        return Path(raw).expanduser()


ENV_PREFIX = "FACTORY_"
#: Between the parts of a nested field's variable: ``FACTORY_HEALTH__INTERVAL``.
ENV_NESTED = "__"


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def _field_type(path: list[str]) -> Any:
    """The declared type of the setting at ``path`` (``None`` when no setting is there)."""
    model: Any = Settings
    annotation: Any = None
    for key in path:
        fields = model.model_fields if isinstance(model, type) and issubclass(model, BaseModel) else {}
        if key not in fields:
            return None
        annotation = fields[key].annotation
        # ``X | None``: what matters is X.
        if get_origin(annotation) in (Union, type(int | None)):
            annotation = next(a for a in get_args(annotation) if a is not type(None))
        model = annotation
    return annotation


def _structured(annotation: Any) -> bool:
    """Whether a value of this type is given as JSON in the environment (a list, a map, a section)."""
    origin = get_origin(annotation) or annotation
    return origin in (list, dict, tuple, set) or (isinstance(origin, type) and issubclass(origin, BaseModel))


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``extra`` laid over it; sections (dicts) are merged key by key."""
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def environment_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings that ``FACTORY_*`` variables give, as nested keys; a malformed JSON value is a
    :class:`ConfigError` naming the variable."""
    found: dict[str, Any] = {}
    # Shorter names first: a whole section given as JSON, then its fields over it.
    named = sorted((n for n in environ if n.upper().startswith(ENV_PREFIX)), key=lambda n: n.count(ENV_NESTED))
    for name in named:
        path = name[len(ENV_PREFIX):].lower().split(ENV_NESTED)
        if path[0] not in Settings.model_fields:
            continue  # FACTORY_LOG_LEVEL and the like belong to other readers
        value: Any = environ[name]
        if _structured(_field_type(path)):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"environment {name}: not valid JSON: {exc}") from None
        nested: dict[str, Any] = {path[-1]: value}
        for key in reversed(path[:-1]):
            nested = {key: nested}
        found = _merge(found, nested)
    return found


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Read the settings, from ``config_file`` or the platform's config dir when it exists, with the
    environment's ``FACTORY_*`` over the file and ``overrides`` over both.

    An explicit ``config_file`` must exist; the default one is optional.
    """
    explicit = config_file is not None
    path = Path(config_file).expanduser() if config_file is not None else default_config_file()
    if explicit and not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    chosen = path if path.is_file() else None
    data = _read_toml(chosen) if chosen is not None else {}
    data = _merge(_merge(data, environment_settings(os.environ)), overrides)
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = str(chosen) if chosen is not None else "settings (environment FACTORY_*)"
        value = first.get("input")
        shown = f" (got {value!r})" if not isinstance(value, dict) and value is not None else ""
        more = f"; and {exc.error_count() - 1} more" if exc.error_count() > 1 else ""
        raise ConfigError(f"{where}: {_location(first['loc'])}: {first['msg']}{shown}{more}") from None
    settings._config_file = chosen
    return settings
