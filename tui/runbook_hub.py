"""The app's access to the checklists: runbook files, the journal store, and the live view predicates read.

Opened lazily (the first time a runbook screen needs it), so start-up does not wait on the journal (the
app's own, shared with runs and changes). When
another factory-tui already writes the checklists, this one is read-only and says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from actions.journal import JournalError
from actions.runbooks.model import Runbook, RunbookError, load_all
from actions.runbooks.predicates import Live
from actions.runbooks.store import RunbookStore, SessionRecord
from actions.runbooks.walk import Walk

if TYPE_CHECKING:
    from actions.vault import VaultStatus
    from tui.app import FactoryApp


class RunbookHub:
    """The runbooks, their sessions' store and the live readings their predicates see, for one app."""

    def __init__(self, app: FactoryApp) -> None:
        self.app = app
        self.books: dict[str, Runbook] = {}
        self.error: str | None = None
        self._store: RunbookStore | None = None
        self.vault_status: VaultStatus | None = None
        self.vault_error: str | None = None
        self.reload()

    def reload(self) -> None:
        try:
            self.books = {b.name: b for b in load_all()}
            self.error = None
        except RunbookError as exc:
            self.books, self.error = {}, str(exc)

    @property
    def store(self) -> RunbookStore:
        if self._store is None:
            self._store = RunbookStore(self.app.open_journal())
        return self._store

    @property
    def read_only_reason(self) -> str | None:
        try:
            return self.store.read_only_reason
        except JournalError as exc:
            return str(exc)

    def open_sessions(self) -> list[SessionRecord]:
        try:
            return self.store.sessions(open_only=True)
        except JournalError as exc:
            self.error = str(exc)
            return []

    def live(self) -> Live:
        remote = self.app.remote
        return Live(
            settings=self.app.settings,
            lab=self.app.lab,
            snapshot=self.app.health.latest,
            vault=self.vault_status,
            vault_error=self.vault_error,
            ssh=remote.run if remote is not None else None,
            extra={"lab_error": self.app.lab_error or "", "known_good": self.app.known_good.report},
        )

    async def refresh_vault(self) -> None:
        """Read Vault's seal status (at most once per health interval) for the Vault predicates."""
        import asyncio
        import time

        from actions import vault

        status = self.vault_status
        if status is not None and time.time() - status.read_at < self.app.settings.health.interval:
            return
        try:
            target = vault.resolve_target(self.app.settings, self.app.lab)
        except vault.VaultError as exc:
            self.vault_status, self.vault_error = None, str(exc)
            return
        self.vault_status = await asyncio.to_thread(vault.read_status, target)
        self.vault_error = None

    def walk(self, book: Runbook) -> Walk:
        store = self.store
        lab = self.app.lab.name if self.app.lab else ""
        if store.read_only:
            session = store.open_session_for(book.name)
            if session is None:
                raise JournalError(f"{store.read_only_reason}; no session of {book.name} to show")
            return Walk(store, book, session, self.live, self.app.settings.operator, self.refresh_vault)
        return Walk.resume_or_start(store, book, self.live, self.app.settings.operator, lab, self.refresh_vault)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()  # its lock; the journal is the app's
