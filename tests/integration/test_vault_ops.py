"""The Vault adapter against a real OpenBao server: init, unseal, wrong/repeated shares, reset, restart."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

import pytest
from pydantic import SecretStr

from actions import vault
from actions.gates import GateRefused, issue
from actions.vault import ShareOutcome, VaultState, VaultTarget
from tests.vault_server import BaoServer

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def target(bao: BaoServer) -> VaultTarget:
    return VaultTarget(addr=bao.addr, timeout=5)


@pytest.fixture(scope="module")
def keys(target: VaultTarget) -> dict[str, object]:
    """Initialise the module's server once, 5 shares / threshold 3 (the test of init itself)."""
    plan = vault.check_plan(5, 3)
    request = vault.init_request(target, plan)
    permit = issue(request, confirmed=True, typed_name="127.0.0.1")
    result = vault.initialise(target, plan, permit)
    return {
        "shares": [s.get_secret_value() for s in result.shares],
        "root": result.root_token.get_secret_value(),
        "result": result,
    }


def session(target: VaultTarget) -> vault.UnsealSession:
    return vault.UnsealSession(target, issue(vault.unseal_request(target), confirmed=True))


def submit(s: vault.UnsealSession, share: str) -> vault.ShareResult:
    return s.submit(SecretStr(share))


def test_fresh_server_reads_not_initialised(target: VaultTarget) -> None:
    status = vault.read_status(target)
    assert status.state is VaultState.UNINITIALISED
    assert status.summary() == "not initialised"
    assert status.version


def test_init_needs_the_typed_host(target: VaultTarget) -> None:
    plan = vault.check_plan(5, 3)
    request = vault.init_request(target, plan)
    with pytest.raises(GateRefused):
        issue(request, confirmed=True, typed_name="vault")
    with pytest.raises(GateRefused):
        vault.initialise(target, plan, None)
    assert vault.read_status(target).state is VaultState.UNINITIALISED


def test_init_5_of_3_leaves_vault_sealed(target: VaultTarget, keys: dict[str, object]) -> None:
    result = keys["result"]
    assert isinstance(result, vault.InitResult)
    assert len(result.shares) == 5 and result.threshold == 3
    assert len(set(keys["shares"])) == 5  # type: ignore[arg-type]
    # The secrets never show in a repr (logs, tracebacks).
    assert keys["root"] not in repr(result) and all(s not in repr(result) for s in keys["shares"])  # type: ignore[attr-defined]
    status = vault.read_status(target)
    assert (status.state, status.threshold, status.shares, status.progress) == (VaultState.SEALED, 3, 5, 0)
    assert status.summary() == "sealed 0 of 3"


def test_second_init_is_refused(target: VaultTarget, keys: dict[str, object]) -> None:
    plan = vault.check_plan(1, 1)
    permit = issue(vault.init_request(target, plan), confirmed=True, typed_name="127.0.0.1")
    with pytest.raises(vault.VaultError, match="already initialised"):
        vault.initialise(target, plan, permit)


def test_unseal_session_needs_a_permit(target: VaultTarget) -> None:
    with pytest.raises(GateRefused):
        vault.UnsealSession(target, None)


def test_malformed_share_is_rejected_at_once(target: VaultTarget, keys: dict[str, object]) -> None:
    s = session(target)
    shares: list[str] = keys["shares"]  # type: ignore[assignment]
    assert submit(s, shares[0]).progress == 1
    garbage = submit(s, "not a share at all!")
    assert garbage.outcome is ShareOutcome.MALFORMED and "not a key share" in garbage.message
    short = submit(s, "abcd")  # valid hex, but Vault knows no share is that short
    assert short.outcome is ShareOutcome.MALFORMED
    assert "rejected" in short.message and "abcd" not in short.message
    assert vault.read_status(target).progress == 1
    s.reset()


def test_repeated_share_is_caught_before_it_is_sent(target: VaultTarget, keys: dict[str, object]) -> None:
    s = session(target)
    shares: list[str] = keys["shares"]  # type: ignore[assignment]
    assert submit(s, shares[1]).outcome is ShareOutcome.ACCEPTED
    again = submit(s, shares[1])
    assert again.outcome is ShareOutcome.REPEATED and "already entered" in again.message
    # The same share in its base64 spelling is the same share.
    as_b64 = base64.b64encode(bytes.fromhex(shares[1])).decode()
    assert submit(s, as_b64).outcome is ShareOutcome.REPEATED
    assert vault.read_status(target).progress == 1
    s.reset()


def test_share_vault_already_holds_from_another_session(target: VaultTarget, keys: dict[str, object]) -> None:
    shares: list[str] = keys["shares"]  # type: ignore[assignment]
    first = session(target)
    assert submit(first, shares[2]).outcome is ShareOutcome.ACCEPTED
    second = session(target)  # another operator, or the app started again: no hashes of its own
    again = submit(second, shares[2])
    assert again.outcome is ShareOutcome.REPEATED and "Vault already had" in again.message
    assert vault.read_status(target).progress == 1
    second.reset()


def test_reset_clears_progress(target: VaultTarget, keys: dict[str, object]) -> None:
    s = session(target)
    shares: list[str] = keys["shares"]  # type: ignore[assignment]
    submit(s, shares[0])
    assert submit(s, shares[1]).progress == 2
    reset = s.reset()
    assert reset.progress == 0 and "reset" in reset.message.lower()
    assert vault.read_status(target).progress == 0
    # After a reset the same share counts again.
    assert submit(s, shares[0]).outcome is ShareOutcome.ACCEPTED
    s.reset()


def test_wrong_share_is_rejected_with_a_clear_message(target: VaultTarget, keys: dict[str, object]) -> None:
    s = session(target)
    shares: list[str] = keys["shares"]  # type: ignore[assignment]
    submit(s, shares[0])
    submit(s, shares[1])
    wrong = secrets.token_hex(len(bytes.fromhex(shares[0])))
    result = submit(s, wrong)
    assert result.outcome is ShareOutcome.REJECTED
    assert "wrong" in result.message and "reset to 0" in result.message
    assert wrong not in result.message
    status = vault.read_status(target)
    assert status.sealed and status.progress == 0
    # The shares entered before the failed attempt can be entered again.
    assert submit(s, shares[0]).outcome is ShareOutcome.ACCEPTED
    s.reset()


def test_unseal_with_three_shares_then_settles(target: VaultTarget, keys: dict[str, object]) -> None:
    s = session(target)
    shares: list[str] = keys["shares"]  # type: ignore[assignment]
    assert [submit(s, k).outcome for k in (shares[4], shares[2])] == [ShareOutcome.ACCEPTED] * 2
    last = submit(s, shares[0])
    assert last.outcome is ShareOutcome.UNSEALED and not last.sealed
    settled = vault.wait_settled(target)
    assert settled.state is VaultState.UNSEALED and settled.standby is False and settled.ha_mode == "active"
    assert submit(s, shares[1]).outcome is ShareOutcome.ALREADY_UNSEALED


def test_step_down_and_seal_need_token_and_permit(target: VaultTarget, keys: dict[str, object]) -> None:
    token = SecretStr(keys["root"])  # type: ignore[arg-type]
    with pytest.raises(GateRefused):
        vault.seal(target, token, None)
    permit = issue(vault.seal_request(target), confirmed=True, typed_name="127.0.0.1")
    with pytest.raises(vault.VaultError, match="needs a Vault token"):
        vault.seal(target, None, permit)
    bad = SecretStr("s.not-a-real-token")
    with pytest.raises(vault.VaultError) as caught:
        vault.seal(target, bad, issue(vault.seal_request(target), confirmed=True, typed_name="127.0.0.1"))
    assert "s.not-a-real-token" not in str(caught.value)
    before = vault.read_status(target)
    after = vault.step_down(target, token, issue(vault.step_down_request(target), confirmed=True))
    # It returns once the step-down has taken effect: the lone node has given the role up and taken it back.
    assert after.state is VaultState.UNSEALED and after.standby is False
    assert before.active_time and after.active_time and after.active_time != before.active_time
    # So a seal right after it meets a settled node.
    vault.seal(target, token, issue(vault.seal_request(target), confirmed=True, typed_name="127.0.0.1"))
    assert vault.read_status(target).summary() == "sealed 0 of 3"


def test_restart_comes_back_sealed(bao: BaoServer, target: VaultTarget, keys: dict[str, object]) -> None:
    s = session(target)
    for share in keys["shares"][:3]:  # type: ignore[index]
        submit(s, share)
    assert vault.read_status(target).state is VaultState.UNSEALED
    bao.stop()
    down = vault.read_status(target)
    assert down.state is VaultState.UNREACHABLE and "cannot connect" in (down.error or "")
    bao.start()
    status = vault.read_status(target)
    assert status.state is VaultState.SEALED and status.progress == 0 and status.threshold == 3


def test_server_log_holds_no_secret(bao: BaoServer, keys: dict[str, object]) -> None:
    text = Path(bao.log).read_text()
    for secret in [*keys["shares"], keys["root"]]:  # type: ignore[misc]
        assert secret not in text
