"""Unseal, one key share at a time, with progress and clear answers for wrong or repeated shares.

The operator confirms the unseal once (a change-level gate) and that permit opens an
:class:`UnsealSession`; each share typed afterwards is its own confirmation. Shares arrive as
:class:`~pydantic.SecretStr` and are handed to Vault once; the session keeps only a keyed hash of each
share (the key is random and lives in this process only) so a share typed twice in the same attempt is
caught before it is sent, without the share itself being kept anywhere.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from enum import StrEnum

import hvac.exceptions
from pydantic import BaseModel, SecretStr

from actions import change_log
from actions.gates import GateRequest, Level, Permit, require
from actions.journal import Journal
from actions.vault.connect import VaultError, VaultTarget, client, reason, translate
from actions.vault.status import VaultStatus, poll_status, read_status


class ShareOutcome(StrEnum):
    """What became of one share."""
    ACCEPTED = "accepted"
    UNSEALED = "unsealed"
    REPEATED = "repeated"
    MALFORMED = "malformed"
    REJECTED = "rejected"
    ALREADY_UNSEALED = "already unsealed"


class ShareResult(BaseModel):
    """What happened to one share; never holds the share."""

    outcome: ShareOutcome
    message: str
    progress: int
    threshold: int
    sealed: bool

    @property
    def ok(self) -> bool:
        """Vault took the share (or was unsealed already)."""
        return self.outcome in (ShareOutcome.ACCEPTED, ShareOutcome.UNSEALED, ShareOutcome.ALREADY_UNSEALED)


def unseal_request(target: VaultTarget) -> GateRequest:
    """The confirmation an unseal needs: a change to the lab, shown with the exact API call."""
    return GateRequest(
        kind="vault.unseal",
        level=Level.CHANGE,
        title=f"Unseal Vault at {target.addr}",
        command=("PUT", f"{target.addr}/v1/sys/unseal"),
        targets=(target.addr,),
        details=("Key shares are entered one at a time, masked, and never stored.",),
    )


def decode_share(text: str) -> bytes | None:
    """A share's bytes from its hex or base64 text (Vault tries hex first), or None when it is neither."""
    try:
        return bytes.fromhex(text)
    except ValueError:
        pass
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


class UnsealSession:
    """One operator's unseal of one Vault. Not thread-safe: submit one share at a time."""

    def __init__(self, target: VaultTarget, permit: Permit | None, journal: Journal | None = None) -> None:
        require(permit, unseal_request(target))
        self.target = target
        self._hash_key = secrets.token_bytes(32)
        self._seen: set[bytes] = set()
        self._nonce = ""
        # The journal's record of this unseal: open until Vault is unsealed or the session is closed.
        self._journal = journal
        self._change = change_log.start(journal, permit, VaultError) if journal is not None and permit else None
        self._progress = "no share entered"

    def close(self) -> None:
        """End the session; if Vault was not unsealed through it, the journal says where it stopped."""
        self._end(change_log.STOPPED, f"left sealed: {self._progress}")

    def _end(self, status: str, message: str) -> None:
        if self._journal is not None and self._change is not None:
            change, self._change = self._change, None
            change_log.finish(self._journal, change, status, message, VaultError)

    def _digest(self, share: bytes) -> bytes:
        return hmac.new(self._hash_key, share, hashlib.sha256).digest()

    def _sync(self, status: VaultStatus) -> None:
        """Forget the hashes when Vault started a new attempt (reset, a wrong set, another operator)."""
        if status.progress == 0 or status.nonce != self._nonce:
            self._seen.clear()
        self._nonce = status.nonce

    def status(self) -> VaultStatus:
        """Read Vault's seal status now and follow its progress; :class:`VaultError` when it cannot be read."""
        status = read_status(self.target)
        if status.error:
            raise VaultError(status.error)
        self._sync(status)
        return status

    def submit(self, share: SecretStr) -> ShareResult:
        """Hand one share to Vault and say what it did with it."""
        before = self.status()
        t = before.threshold
        if not before.initialized:
            raise VaultError(f"{self.target.addr}: Vault is not initialised; there is nothing to unseal")
        if not before.sealed:
            return ShareResult(
                outcome=ShareOutcome.ALREADY_UNSEALED, message="Vault is already unsealed.",
                progress=0, threshold=t, sealed=False,
            )
        text = share.get_secret_value().strip()
        raw = decode_share(text) if text else None
        if raw is None:
            return ShareResult(
                outcome=ShareOutcome.MALFORMED,
                message=f"That is not a key share (expected hex or base64 text). "
                f"Nothing was sent; progress is still {before.progress} of {t}.",
                progress=before.progress, threshold=t, sealed=True,
            )
        digest = self._digest(raw)
        del raw
        if digest in self._seen:
            return ShareResult(
                outcome=ShareOutcome.REPEATED,
                message=f"That share was already entered in this attempt; enter a different one. "
                f"Progress is still {before.progress} of {t}.",
                progress=before.progress, threshold=t, sealed=True,
            )
        try:
            answer = client(self.target).sys.submit_unseal_key(key=text)
        except Exception as exc:
            return self._refused(exc, before, text)
        finally:
            del text
        progress, sealed = int(answer.get("progress") or 0), bool(answer.get("sealed"))
        self._nonce = str(answer.get("nonce") or "")
        if not sealed:
            self._seen.clear()
            self._end(change_log.OK, "unsealed")
            return ShareResult(
                outcome=ShareOutcome.UNSEALED, message="Vault is unsealed.",
                progress=0, threshold=t, sealed=False,
            )
        if progress == before.progress:
            # Vault ignores a share it already holds for this attempt (entered before this session).
            return ShareResult(
                outcome=ShareOutcome.REPEATED,
                message=f"Vault already had that share in this attempt; enter a different one. "
                f"Progress is still {progress} of {t}.",
                progress=progress, threshold=t, sealed=True,
            )
        self._seen.add(digest)
        self._progress = f"{progress} of {t} shares entered"
        return ShareResult(
            outcome=ShareOutcome.ACCEPTED, message=f"Share accepted: {progress} of {t}.",
            progress=progress, threshold=t, sealed=True,
        )

    def _refused(self, exc: Exception, before: VaultStatus, text: str) -> ShareResult:
        if not isinstance(exc, hvac.exceptions.InvalidRequest):
            raise translate(exc, self.target, text) from None
        after = self.status()
        if before.progress >= before.threshold - 1 and after.progress == 0 and after.sealed:
            return ShareResult(
                outcome=ShareOutcome.REJECTED,
                message=f"Vault could not unseal with these {before.threshold} shares: at least one of "
                "them is wrong. Progress was reset to 0; start again with the right shares.",
                progress=0, threshold=after.threshold, sealed=True,
            )
        return ShareResult(
            outcome=ShareOutcome.MALFORMED,
            message=f"Vault rejected that share ({reason(exc, text)}). "
            f"Progress is still {after.progress} of {after.threshold}.",
            progress=after.progress, threshold=after.threshold, sealed=bool(after.sealed),
        )

    def reset(self) -> ShareResult:
        """Throw away the shares entered so far in this attempt (Vault's and ours)."""
        try:
            answer = client(self.target).sys.submit_unseal_key(reset=True)
        except Exception as exc:
            raise translate(exc, self.target) from None
        self._seen.clear()
        self._nonce = ""
        t = int(answer.get("t") or 0)
        self._progress = f"progress reset to 0 of {t}"
        return ShareResult(
            outcome=ShareOutcome.ACCEPTED,
            message=f"Progress reset: 0 of {t}. Start again from the first share.",
            progress=int(answer.get("progress") or 0), threshold=t, sealed=bool(answer.get("sealed")),
        )


def wait_settled(target: VaultTarget, timeout: float = 15.0, poll: float = 0.25) -> VaultStatus:
    """After the last share: wait until the node is active, or a standby that knows its leader.

    Right after an unseal a node reports ``standby`` (and may already name itself as the leader) while
    it takes part in the election; the unseal is only done when that settles: the node is active, or
    it is a standby and the leader is another node.
    """
    return poll_status(target, is_settled, timeout, poll)[0]


def is_settled(status: VaultStatus) -> bool:
    """Whether the node has found its place: active, or a standby that knows another node is the leader."""
    return status.state.value == "unsealed" and bool(
        status.standby is False
        or (status.standby and status.leader_address and status.leader_is_self is False)
    )
