"""Pure logic of the Vault adapter: where the address comes from, share decoding, plans, readings,
error wording, and the gates each change asks for."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import requests
from pydantic import SecretStr

from actions import vault
from actions.config import load_settings
from actions.gates import GateRefused, Level
from actions.lab import Host, Lab
from actions.vault import VaultState, VaultStatus, VaultTarget
from actions.vault.connect import reason, translate


def lab_with(addr: str | None) -> Lab:
    return Lab(name="t", inventory=Path("/x"), hosts=[Host(name="pi1", address="10.0.0.1")], vault_addr=addr)


def test_address_precedence_is_the_vault_clis_the_environment_wins(tmp_path: Path) -> None:
    env = {"VAULT_ADDR": "http://env:8200"}
    plain = load_settings(None, state_dir=tmp_path)
    configured = load_settings(None, state_dir=tmp_path, vault={"addr": "https://conf:8200"})
    inventory = lab_with("https://inv:8200/")
    chosen = vault.resolve_target(configured, inventory, env)
    assert (chosen.addr, chosen.addr_source) == ("http://env:8200", "$VAULT_ADDR")
    chosen = vault.resolve_target(plain, inventory, env)
    assert (chosen.addr, chosen.addr_source) == ("http://env:8200", "$VAULT_ADDR")
    chosen = vault.resolve_target(configured, inventory, {"VAULT_ADDR": "  "})
    assert (chosen.addr, chosen.addr_source) == ("https://conf:8200", "settings vault.addr")
    chosen = vault.resolve_target(plain, inventory, {})
    assert (chosen.addr, chosen.addr_source) == ("https://inv:8200", "inventory /x")


def test_a_sandbox_or_rehearsal_labs_own_vault_wins_over_the_environment(tmp_path: Path) -> None:
    """$VAULT_ADDR, $VAULT_CACERT and vault.addr name the real lab's Vault: `-i sandbox` never reaches it."""
    configured = load_settings(None, state_dir=tmp_path, vault={"addr": "https://conf:8200", "timeout": 3})
    real_env = {"VAULT_ADDR": "https://vault.lab:8200", "VAULT_CACERT": str(tmp_path / "no-such-ca.crt")}
    for kind in ("sandbox", "rehearsal"):
        own = Lab(name=kind, kind=kind, inventory=Path(f"/{kind}.yml"),  # type: ignore[arg-type]
                  hosts=[Host(name="pi1", address="127.0.1.1")], vault_addr="http://127.0.0.1:8210/")
        chosen = vault.resolve_target(configured, own, real_env)
        assert (chosen.addr, chosen.addr_source) == ("http://127.0.0.1:8210", f"the {kind} lab's inventory /{kind}.yml")
        assert (chosen.ca_cert, chosen.timeout) == (None, 3)
    # Without a Vault of its own, a sandbox lab follows the usual order; a real lab always does.
    bare = Lab(name="s", kind="sandbox", inventory=Path("/s.yml"), hosts=[Host(name="pi1", address="127.0.1.1")])
    assert vault.resolve_target(configured, bare, {"VAULT_ADDR": "http://env:8200"}).addr == "http://env:8200"
    assert vault.resolve_target(configured, lab_with("https://inv:8200"), {"VAULT_ADDR": "http://env:8200"}).addr \
        == "http://env:8200"


def test_vault_cacert_wins_over_the_settings(tmp_path: Path) -> None:
    mine, theirs = tmp_path / "mine.crt", tmp_path / "theirs.crt"
    mine.write_text("-----BEGIN CERTIFICATE-----\n")
    settings = load_settings(None, state_dir=tmp_path, vault={"addr": "https://v:8200", "ca_cert": str(mine)})
    target = vault.resolve_target(settings, None, {})
    assert (target.verify, target.ca_source) == (str(mine), "settings vault.ca_cert")
    with pytest.raises(vault.VaultError, match=r"\$VAULT_CACERT .*theirs.crt: file not found"):
        vault.resolve_target(settings, None, {"VAULT_CACERT": str(theirs)})
    theirs.write_text("-----BEGIN CERTIFICATE-----\n")
    target = vault.resolve_target(settings, None, {"VAULT_CACERT": str(theirs)})
    assert (target.verify, target.ca_source) == (str(theirs), "$VAULT_CACERT")


def test_missing_or_bad_address_is_one_readable_error(tmp_path: Path) -> None:
    plain = load_settings(None, state_dir=tmp_path)
    with pytest.raises(vault.VaultError, match=r"no Vault address.*\$VAULT_ADDR"):
        vault.resolve_target(plain, lab_with(None), {})
    with pytest.raises(vault.VaultError, match="not an http"):
        vault.resolve_target(plain, None, {"VAULT_ADDR": "vault:8200"})


def test_ca_cert_is_used_for_verification_and_must_exist(tmp_path: Path) -> None:
    ca = tmp_path / "root_ca.crt"
    missing = load_settings(None, state_dir=tmp_path, vault={"addr": "https://v:8200", "ca_cert": str(ca)})
    with pytest.raises(vault.VaultError, match="file not found"):
        vault.resolve_target(missing, None, {})
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    target = vault.resolve_target(missing, None, {})
    assert target.verify == str(ca) and target.host == "v"
    assert VaultTarget(addr="https://v:8200").verify is True


def test_token_from_env_is_a_secret() -> None:
    token = vault.token_from_env({"VAULT_TOKEN": " s.abc \n"})
    assert isinstance(token, SecretStr) and token.get_secret_value() == "s.abc"
    assert "s.abc" not in repr(token)
    assert vault.token_from_env({}) is None and vault.token_from_env({"VAULT_TOKEN": " "}) is None


def test_share_decoding_hex_first_then_base64() -> None:
    raw = bytes(range(33))
    assert vault.decode_share(raw.hex()) == raw
    assert vault.decode_share(base64.b64encode(raw).decode()) == raw
    assert vault.decode_share("not a share!") is None
    assert vault.decode_share("abc") is None  # odd hex, and not valid base64 either


@pytest.mark.parametrize(
    ("shares", "threshold", "error"),
    [(0, 0, "shares must be"), (256, 3, "shares must be"), (5, 6, "threshold must be"),
     (5, 1, "at least 2"), (3, 0, "threshold must be")],
)
def test_bad_plans_are_refused(shares: int, threshold: int, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        vault.check_plan(shares, threshold)


def test_good_plans() -> None:
    assert vault.check_plan(5, 3) == vault.InitPlan(shares=5, threshold=3)
    assert vault.check_plan(1, 1).threshold == 1


def test_reading_summaries() -> None:
    base = {"addr": "http://v:8200", "read_at": 100.0}
    assert VaultStatus(**base, error="cannot connect").state is VaultState.UNREACHABLE
    assert VaultStatus(**base, initialized=False, sealed=True).summary() == "not initialised"
    sealed = VaultStatus(**base, initialized=True, sealed=True, threshold=3, shares=5, progress=1)
    assert sealed.summary() == "sealed 1 of 3" and sealed.ha_mode == "-"
    active = VaultStatus(**base, initialized=True, sealed=False, standby=False)
    assert active.summary() == "unsealed" and active.ha_mode == "active"
    standby = VaultStatus(**base, initialized=True, sealed=False, standby=True)
    assert standby.summary() == "unsealed (standby)" and standby.ha_mode == "standby"
    doc = sealed.to_json()
    assert doc["state"] == "sealed" and doc["summary"] == "sealed 1 of 3" and doc["threshold"] == 3


def test_staleness_is_two_ticks() -> None:
    reading = VaultStatus(addr="http://v", read_at=100.0, initialized=True, sealed=False)
    assert not vault.is_stale(reading, interval=2.0, now=103.9)
    assert vault.is_stale(reading, interval=2.0, now=104.1)
    assert vault.is_stale(None, interval=2.0)


def test_reason_drops_the_url_and_masks_secrets() -> None:
    exc = Exception("invalid key: deadbeefcafe is wrong, on put http://v:8200/v1/sys/unseal")
    assert reason(exc, "deadbeefcafe") == "invalid key: **** is wrong"


def test_transport_errors_are_worded_for_the_operator() -> None:
    target = VaultTarget(addr="https://v:8200", timeout=3)
    assert "cannot connect" in str(translate(requests.exceptions.ConnectionError("x"), target))
    assert "no answer within 3s" in str(translate(requests.exceptions.ReadTimeout("x"), target))
    assert "TLS verification failed" in str(translate(requests.exceptions.SSLError("x"), target))
    assert isinstance(translate(requests.exceptions.ConnectionError("x"), target), vault.VaultUnreachable)


def test_gates_each_change_asks_for() -> None:
    target = VaultTarget(addr="https://vault.lab:8200")
    unseal = vault.unseal_request(target)
    assert unseal.level is Level.CHANGE and unseal.command == ("PUT", "https://vault.lab:8200/v1/sys/unseal")
    init = vault.init_request(target, vault.check_plan(5, 3))
    assert init.level is Level.DESTRUCTIVE and init.confirm_name == "vault.lab"
    assert any("5 key shares, 3 needed" in line for line in init.describe())
    assert vault.seal_request(target).level is Level.DESTRUCTIVE
    assert vault.step_down_request(target).level is Level.CHANGE


def test_no_change_without_a_permit() -> None:
    target = VaultTarget(addr="http://127.0.0.1:1")
    with pytest.raises(GateRefused):
        vault.UnsealSession(target, None)
    with pytest.raises(GateRefused):
        vault.initialise(target, vault.check_plan(5, 3), None)
    with pytest.raises(GateRefused):
        vault.step_down(target, SecretStr("t"), None)
