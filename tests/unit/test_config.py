"""Settings: TOML file, FACTORY_* overrides, readable errors naming file and key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from actions.config import ConfigError, load_settings


def test_defaults_and_state_dir_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FACTORY_STATE_DIR", str(tmp_path / "st"))
    monkeypatch.setenv("FACTORY_HEALTH__INTERVAL", "5")
    s = load_settings(None)
    assert s.state_dir == tmp_path / "st"
    assert s.health.interval == 5.0
    assert s.health.thresholds.temp_warn_c == 70.0
    assert s.tofu.plan_max_age_minutes == 15.0
    assert s.inventory.name == "hosts.yml"


def test_toml_file_read_and_env_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('state_dir = "/srv/x"\n[health]\ninterval = 3\n[health.thresholds]\ntemp_warn_c = 65\n')
    s = load_settings(cfg)
    assert (s.health.interval, s.health.thresholds.temp_warn_c, s.state_dir) == (3.0, 65.0, Path("/srv/x"))
    assert s.config_file == cfg
    monkeypatch.setenv("FACTORY_STATE_DIR", str(tmp_path))
    assert load_settings(cfg).state_dir == tmp_path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[health]\ninterval = 'soon'\n", "health.interval"),
        ("[health]\ninterval = -1\n", "health.interval"),
        ("nonsense = 1\n", "nonsense"),
        ("[health]\nintervall = 2\n", "health.intervall"),
        ("[health.thresholds]\ndisk_used_crit_pct = []\n", "health.thresholds.disk_used_crit_pct"),
    ],
)
def test_invalid_value_names_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_settings(cfg)
    message = str(err.value)
    assert str(cfg) in message and expected in message
    assert "\n" not in message


def test_broken_toml_and_missing_file(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[health\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(cfg)
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "absent.toml")


def test_sandbox_alias(tmp_path: Path) -> None:
    s = load_settings(None, state_dir=tmp_path)
    assert s.resolve_inventory("sandbox") == tmp_path / "sandbox" / "inventory.yml"
    assert s.resolve_inventory("~/inv.yml") == Path.home() / "inv.yml"


def test_environment_reads_lists_sections_any_case_and_leaves_other_names(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FACTORY_TOFU__ROOTS", json.dumps([str(tmp_path / "a"), str(tmp_path / "b")]))
    monkeypatch.setenv("FACTORY_HEALTH", json.dumps({"interval": 7, "thresholds": {"temp_warn_c": 60}}))
    monkeypatch.setenv("FACTORY_HEALTH__THRESHOLDS__TEMP_CRIT_C", "75")  # a field over its section's JSON
    monkeypatch.setenv("factory_operator", "ana")
    # Not settings: read by the log and by the rehearsal, never refused here.
    monkeypatch.setenv("FACTORY_LOG_LEVEL", "debug")
    monkeypatch.setenv("FACTORY_REHEARSAL_SECRET_X", "y")
    s = load_settings(None, state_dir=tmp_path)
    assert s.tofu.roots == [tmp_path / "a", tmp_path / "b"]
    assert (s.health.interval, s.health.thresholds.temp_warn_c, s.health.thresholds.temp_crit_c) == (7, 60, 75)
    assert s.operator == "ana"


def test_environment_mistakes_name_the_variable_or_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACTORY_TOFU__ROOTS", "/not/json")
    with pytest.raises(ConfigError, match="FACTORY_TOFU__ROOTS: not valid JSON"):
        load_settings(None)
    monkeypatch.delenv("FACTORY_TOFU__ROOTS")
    monkeypatch.setenv("FACTORY_HEALTH__INTERVALL", "3")
    with pytest.raises(ConfigError, match=r"environment FACTORY_\*\): health.intervall: Extra inputs"):
        load_settings(None)


def test_precedence_code_over_environment_over_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[health]\ninterval = 3\nconnect_timeout = 9\n")
    monkeypatch.setenv("FACTORY_HEALTH__INTERVAL", "4")
    s = load_settings(cfg, health={"interval": 5})
    assert (s.health.interval, s.health.connect_timeout) == (5, 9)
    assert load_settings(cfg).health.interval == 4
