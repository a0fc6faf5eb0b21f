"""The fingerprint and its diff on the rehearsal hosts: root Debian 12 systems with systemd, each in its own
network namespace, so a change on pi2 shows on pi2 alone. Their clock is this machine's: the lab reads green
and its snapshot can be known-good."""

from __future__ import annotations

import pytest

from actions import rehearsal
from actions.config import Settings, Thresholds
from actions.health.diff import diff
from actions.health.known_good import KnownGoodStore
from actions.health.models import Fingerprint, Snapshot
from actions.health.poller import Poller
from actions.journal import open_journal
from actions.lab import load_lab
from tests.conftest import root_ssh

pytestmark = pytest.mark.integration
Lab = tuple[Settings, rehearsal.RehearsalStatus]
CALM = Thresholds(load_per_core_warn=1000, load_per_core_crit=2000)
# pi2's backups are watched: a fresh dump of each kind and a good off-site copy, as 05_backup leaves them,
# so that nothing but the changes under test reads other than green. Removed again afterwards.
BACKED_UP = (
    "mkdir -p /mnt/backups/postgres/gitea /mnt/backups/gitea /var/lib/factory-backup && "
    "touch /mnt/backups/postgres/gitea/gitea-20260101T000000Z.dump /mnt/backups/gitea/gitea-20260101T000000Z.tar.gz"
    " && now=$(date +%s) && printf 'last_attempt=%s\nresult=ok\nlast_success=%s\nlast_snapshot=2294a4be\n"
    "error=\nrepository=/var/lib/factory-rehearsal/offsite-restic\n' $now $now > /var/lib/factory-backup/offsite.status"
)
NOT_BACKED_UP = "rm -rf /mnt/backups/postgres /mnt/backups/gitea /var/lib/factory-backup"


async def read(lab: Lab) -> Snapshot:
    poller = Poller(list(load_lab(lab[1].inventory).hosts), interval=0.5)
    try:
        return await poller.once()
    finally:
        await poller.close()


def prints(snap: Snapshot) -> dict[str, Fingerprint | None]:
    return {h.name: h.reading.fingerprint if h.reading else None for h in snap.hosts}


async def test_a_stopped_service_and_a_failed_unit_on_pi2_are_named(rehearsal_lab: Lab) -> None:
    settings, st = rehearsal_lab
    pi2 = next(h.address for h in st.hosts if h.name == "pi2")
    started = root_ssh(settings, pi2, BACKED_UP + " && systemd-run --unit=factory-web python3 -m http.server 8080 && "
                       "for i in $(seq 50); do grep -q ':1F90 00000000:0000 0A' /proc/net/tcp && exit 0; "
                       "sleep 0.1; done; exit 1")
    assert started.returncode == 0, started.stderr
    try:
        before = await read(rehearsal_lab)
        stopped = root_ssh(settings, pi2, "systemctl stop factory-web; "
                           "systemd-run --unit=backup-pg --property=Type=oneshot false; true")
        assert stopped.returncode == 0, stopped.stderr
        after = await read(rehearsal_lab)
    finally:
        root_ssh(settings, pi2, f"systemctl stop factory-web; systemctl reset-failed; {NOT_BACKED_UP}")
    fp_before = prints(before)["pi2"]
    assert fp_before is not None and "0.0.0.0:8080" in fp_before.listening and fp_before.failed_units == []
    changes = [c.text for c in diff(prints(before), prints(after))]
    assert "pi2: nothing listens on 0.0.0.0:8080 any more" in changes
    assert "pi2: new failed unit backup-pg.service" in changes
    assert not [c for c in changes if not c.startswith("pi2: ")]

    # The hosts keep this machine's clock and nothing else warns: the lab is green, and its snapshot is
    # known-good; the diff against it names pi2's changes.
    journal = open_journal(settings.state_dir)
    try:
        store = KnownGoodStore(journal)
        store.record(before, CALM, lab="rehearsal", operator="ana", reason="asked for", now=before.taken_at)
        assert store.latest("rehearsal") is not None
    finally:
        journal.close()
