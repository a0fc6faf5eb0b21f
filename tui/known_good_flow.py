"""The app's known-good snapshots: the recorder on the health poller, the diff for the screens, acceptances.

One :class:`KnownGoodFlow` per app listens to the app's one poller (the fingerprints come with its slow
ticks), takes the daily snapshot and the ones the operator asks for, and tells the operator either way.
Screens ask it for the diff (:meth:`KnownGoodFlow.report`); it is worked out again only when a fingerprint
or the journal changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from actions.health.diff import Change
from actions.health.known_good import DiffReport, KnownGoodStore, Recorder
from actions.health.models import Snapshot
from actions.journal import JournalError

if TYPE_CHECKING:
    from tui.app import FactoryApp


class KnownGoodFlow:
    """Known-good snapshots for the app's lab; inert without a lab or a journal."""

    def __init__(self, app: FactoryApp) -> None:
        self.app = app
        self._recorder: Recorder | None = None
        self._store: KnownGoodStore | None = None
        self._cache: tuple[object, DiffReport] | None = None
        self._version = 0
        self._failed = False

    @property
    def lab_name(self) -> str | None:
        return self.app.lab.name if self.app.lab is not None else None

    def store(self) -> KnownGoodStore | None:
        if self._store is None and not self._failed:
            try:
                self._store = KnownGoodStore(self.app.open_journal())
            except JournalError as exc:
                self._failed = True
                self.app.notify(f"known-good snapshots off: {exc}", title="Health", severity="error")
        return self._store

    def start(self) -> None:
        """Listen to the app's poller (after the feed started it)."""
        poller = self.app.health.poller
        store = self.store()
        if poller is None or store is None or self.lab_name is None:
            return
        self._recorder = Recorder(store, self.app.settings.health.thresholds, lab=self.lab_name,
                                  operator=self.app.settings.operator)
        poller.listeners.append(self._on_snapshot)

    def _on_snapshot(self, snap: Snapshot) -> None:
        if self._recorder is None:
            return
        try:
            said = self._recorder(snap)
        except JournalError as exc:
            self._recorder = None
            self.app.notify(f"known-good snapshots off: {exc}", title="Health", severity="error")
            return
        if said:
            self._version += 1
            refused = said.startswith("no ")
            self.app.notify(said, title="Known-good", severity="warning" if refused else "information")

    def ask(self) -> None:
        """Take a known-good snapshot as soon as fresh fingerprints are in (the health screen's key)."""
        poller = self.app.health.poller
        if self._recorder is None or poller is None:
            self.app.notify("no lab to take a known-good snapshot of", title="Known-good", severity="error")
            return
        self._recorder.ask()
        poller.request_fingerprint()
        self.app.notify("reading every host's fingerprint…", title="Known-good")

    def report(self, snap: Snapshot) -> DiffReport | None:
        """The diff against the latest known-good snapshot for ``snap``, or None without a journal."""
        store, lab = self.store(), self.lab_name
        if store is None or lab is None:
            return None
        key = (self._version, tuple(
            (h.name, h.reading.fingerprint.taken_at if h.reading and h.reading.fingerprint else None)
            for h in snap.hosts
        ))
        if self._cache is None or self._cache[0] != key:
            self._cache = (key, store.report(snap, lab))
        return self._cache[1]

    def accept(self, report: DiffReport, change: Change, note: str = "") -> None:
        """Journal that the operator accepted ``change``; the next report leaves it out of the unexplained."""
        store = self.store()
        if store is None or report.known_good is None:
            return
        store.accept(report.known_good.id, change, self.app.settings.operator, note)
        self._version += 1
