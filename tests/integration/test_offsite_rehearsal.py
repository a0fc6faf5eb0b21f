"""05_backup on the rehearsal hosts, for real and twice: the off-site copy converges (restic installed,
its password and key written, the repository created, the timer after the dumps), then the copy unit
runs under systemd: it fails visibly on an empty /mnt/backups, copies a dump, and the dump comes back
from off-site once the local one is gone. The repository is a folder on pi2 (the rehearsal lab's
``backup_offsite_repository``): the bucket is out of reach there.
"""

from __future__ import annotations

from actions import gates
from actions.config import Settings, Thresholds
from actions.health.backups import OffsiteVerdict, offsite_verdict
from actions.health.poller import Poller
from actions.lab import load_lab
from actions.rehearsal import RehearsalStatus
from actions.rehearsal.converge import converge, plan
from actions.rehearsal.tally import Verdict
from tests.conftest import root_ssh

Lab = tuple[Settings, RehearsalStatus]
DUMP = "/mnt/backups/postgres/demo/demo-20260101T000000Z.dump"


async def offsite_on_pi2(st: RehearsalStatus) -> OffsiteVerdict | None:
    """The health probe's reading of pi2's off-site copy (the rehearsal inventory watches its backups)."""
    poller = Poller(list(load_lab(st.inventory).hosts), interval=0.5)
    try:
        reading = (await poller.once()).host("pi2").reading
    finally:
        await poller.close()
    assert reading is not None
    return offsite_verdict(reading, Thresholds())


async def test_05_backup_converges_with_the_offsite_copy_and_its_unit_copies_and_fetches(rehearsal_lab: Lab) -> None:
    settings, st = rehearsal_lab
    conv = plan(settings, load_lab(st.inventory), ["05_backup.yml"])
    report = converge(conv, gates.issue(conv.request, confirmed=True, operator="tester"))
    rows = {r.role: r for r in report.rows}
    assert rows["backup"].verdict is Verdict.CONVERGED, rows["backup"].detail
    assert rows["backup"].changed_first > 0 and rows["backup"].changed_second == 0
    pi2 = next(h.address for h in st.hosts if h.name == "pi2")

    def on_pi2(command: str) -> str:
        out = root_ssh(settings, pi2, command)
        return out.stdout + out.stderr

    timers = on_pi2("systemctl list-timers 'factory-backup-*' --all --no-pager")
    assert "factory-backup-offsite.timer" in timers
    assert on_pi2("stat -c %a /etc/factory-backup/offsite.pass").strip() == "600"
    # The throwaway password of this converge is in no unit file.
    unit = on_pi2("systemctl cat factory-backup-offsite.service")
    assert "ExecStart=/usr/local/sbin/factory-offsite-backup" in unit
    assert on_pi2("cat /etc/factory-backup/offsite.pass").strip() not in unit

    # Nothing to copy yet: the unit fails, its journal and the status file say why.
    assert "failed" in on_pi2("systemctl start factory-backup-offsite.service; "
                              "systemctl is-failed factory-backup-offsite.service")
    journal = on_pi2("journalctl -u factory-backup-offsite --no-pager")
    assert "off-site copy FAILED: nothing to copy" in journal
    assert "result=failed" in on_pi2("cat /var/lib/factory-backup/offsite.status")
    # The health signal says so, with the reason the unit's journal gives.
    failed = await offsite_on_pi2(st)
    assert failed is not None and failed.recorded and not failed.ok, failed
    assert failed.text.startswith("backup off-site: FAILED: nothing to copy") and failed.status.value == "critical"

    # A dump with its checksum: copied by the unit, deleted here, fetched back and checked.
    on_pi2(f"mkdir -p {DUMP.rsplit('/', 1)[0]} && echo 'the rows' > {DUMP} && "
           f"cd {DUMP.rsplit('/', 1)[0]} && sha256sum {DUMP.rsplit('/', 1)[1]} > {DUMP}.sha256")
    assert on_pi2("systemctl start factory-backup-offsite.service && echo copied").strip().endswith("copied")
    status = on_pi2("cat /var/lib/factory-backup/offsite.status")
    assert "result=ok" in status and "last_snapshot=\n" not in status
    copied = await offsite_on_pi2(st)
    assert copied is not None and copied.ok and copied.status.value == "ok", copied
    assert f"last_snapshot={copied.snapshot}\n" in status and copied.age_h is not None and copied.age_h < 0.5
    fetched = on_pi2(f"rm -rf /mnt/backups/postgres/demo && "
                     f"/usr/local/sbin/factory-offsite-fetch postgres/demo 'demo-*.dump' && cat {DUMP}")
    assert f"{DUMP}\nthe rows" in fetched, fetched
