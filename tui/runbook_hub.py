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
from tui.services.vault_feed import vault_feed_of

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
        # Vault checks want a reading taken after this time (set after an unseal or an init).
        self._vault_after = 0.0
        self.reload()

    def reload(self) -> None:
        """Read the runbook files again; a broken one leaves :attr:`error` set and no books."""
        try:
            self.books = {b.name: b for b in load_all()}
            self.error = None
        except RunbookError as exc:
            self.books, self.error = {}, str(exc)

    @property
    def store(self) -> RunbookStore:
        """The checklists' store over the app's journal, opened on first use."""
        if self._store is None:
            self._store = RunbookStore(self.app.open_journal())
        return self._store

    @property
    def read_only_reason(self) -> str | None:
        """Why the checklists cannot be changed here (another instance holds them), or ``None``."""
        try:
            return self.store.read_only_reason
        except JournalError as exc:
            return str(exc)

    def open_sessions(self) -> list[SessionRecord]:
        """The sessions in progress; none (and :attr:`error` set) when the journal cannot be read."""
        try:
            return self.store.sessions(open_only=True)
        except JournalError as exc:
            self.error = str(exc)
            return []

    def live(self) -> Live:
        """What the checklists' live predicates read now: settings, lab, the latest health and Vault readings."""
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

    def forget_vault(self) -> None:
        """The next Vault checks must read Vault anew, not a reading taken before an unseal or an init."""
        import time

        self._vault_after = time.time()
        feed = vault_feed_of(self.app)
        if feed is not None:
            feed.refresh_now()

    async def refresh_vault(self) -> None:
        """The app's Vault reading (at most one health interval old) for the Vault predicates: the checks
        read the same feed as the badges, they do not poll Vault themselves."""
        feed = vault_feed_of(self.app)
        if feed is None:
            self.vault_status, self.vault_error = None, "no Vault feed"
            return
        self.vault_status = await feed.fresh(self.app.settings.health.interval, after=self._vault_after)
        self.vault_error = feed.problem

    def resume(self, book: Runbook) -> Walk | None:
        """The session of ``book`` in progress, if there is one: resuming it asks nothing."""
        store = self.store
        session = store.open_session_for(book.name)
        if session is None:
            return None
        return Walk(store, book, session, self.live, self.app.settings.operator, self.refresh_vault)

    def start(self, book: Runbook, reason: str, operator: str) -> Walk:
        """A new session of ``book``, started by ``operator`` for ``reason``."""
        store = self.store
        if store.read_only:
            raise JournalError(f"{store.read_only_reason}; no session of {book.name} can be started here")
        lab = self.app.lab.name if self.app.lab else ""
        return Walk.resume_or_start(store, book, self.live, operator, lab, self.refresh_vault, reason)

    def preview(self, book: Runbook) -> Walk:
        """The steps of ``book`` with no session: nothing is journalled."""
        lab = self.app.lab.name if self.app.lab else ""
        return Walk.preview(self.store, book, self.live, self.app.settings.operator, lab, self.refresh_vault)

    def close(self) -> None:
        """Release the store's lock (the journal itself is the app's to close)."""
        if self._store is not None:
            self._store.close()  # its lock; the journal is the app's
