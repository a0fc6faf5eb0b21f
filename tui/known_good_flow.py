"""The app's known-good snapshots: the recorder on the health feed, the diff for the screens, acceptances.

One :class:`KnownGoodFlow` per app taps the app's health feed (the fingerprints come with the poller's slow
ticks), takes the daily snapshot and the ones the operator asks for, and tells the operator either way; it
starts after the first reading, so its journal stays out of the way of the first frames.
Screens ask it for the diff (:meth:`KnownGoodFlow.report`); it is worked out again only when a fingerprint
or the journal changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# The store, the recorder and the journal are imported when the flow starts (after the first reading):
# at import time they would hold the first frame back by a tenth of a second.
if TYPE_CHECKING:
    from actions.health.diff import Change
    from actions.health.known_good import DiffReport, KnownGoodStore, Recorder
    from actions.health.models import Snapshot
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
        self._started = False

    @property
    def lab_name(self) -> str | None:
        """The name of the lab polled now."""
        return self.app.lab.name if self.app.lab is not None else None

    def store(self) -> KnownGoodStore | None:
        """The known-good store over the app's journal, opened on first use; None when it cannot be."""
        from actions.health.known_good import KnownGoodStore
        from actions.journal import JournalError

        if self._store is None and not self._failed:
            try:
                self._store = KnownGoodStore(self.app.open_journal())
            except JournalError as exc:
                self._failed = True
                self.app.notify(f"known-good snapshots off: {exc}", title="Health", severity="error")
        return self._store

    def start(self) -> None:
        """Tap the app's health feed: every snapshot from now on, whichever lab it polls."""
        self._started = True
        if self._on_snapshot not in self.app.health.taps:
            self.app.health.taps.append(self._on_snapshot)
        if self.app.health.latest is not None:
            self._on_snapshot(self.app.health.latest)

    def _recorder_for_lab(self) -> Recorder | None:
        """The recorder of the lab polled now (a new one when the inventory names another lab)."""
        store, lab = self.store(), self.lab_name
        if store is None or lab is None:
            return None
        from actions.health.known_good import Recorder

        if self._recorder is None or self._recorder.lab != lab:
            self._recorder = Recorder(store, self.app.settings.health.thresholds, lab=lab,
                                      operator=self.app.settings.operator)
        return self._recorder

    def _on_snapshot(self, snap: Snapshot) -> None:
        if self._failed:
            return
        recorder = self._recorder_for_lab()
        if recorder is None:
            return
        from actions.journal import JournalError

        try:
            said = recorder(snap)
        except JournalError as exc:
            self._failed = True
            self.app.notify(f"known-good snapshots off: {exc}", title="Health", severity="error")
            return
        if said:
            self._version += 1
            refused = said.startswith("no ")
            self.app.notify(said, title="Known-good", severity="warning" if refused else "information")

    def ask(self) -> None:
        """Take a known-good snapshot as soon as fresh fingerprints are in (the health screen's key)."""
        poller, recorder = self.app.health.poller, self._recorder_for_lab()
        if recorder is None or poller is None:
            self.app.notify("no lab to take a known-good snapshot of", title="Known-good", severity="error")
            return
        if self._on_snapshot not in self.app.health.taps:
            self.start()  # asked before the first reading was in
        recorder.ask()
        poller.request_fingerprint()
        self.app.notify("reading every host's fingerprint…", title="Known-good")

    def report(self, snap: Snapshot) -> DiffReport | None:
        """The diff against the latest known-good snapshot for ``snap``; None without a journal, and before
        :meth:`start` (the journal is not opened for the first frames)."""
        if not self._started:
            return None
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
