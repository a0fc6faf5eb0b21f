"""The running app keeps its lab true to the inventory: an edited inventory is read again by itself (on the
health refresh) and a cached lab that Ansible reads differently is replaced, with a note on screen. Ansible
reads in a real child process; the hosts point at closed ports, so no sshd is needed."""

from __future__ import annotations

from pathlib import Path

from actions.config import Settings, load_settings
from actions.lab import load_lab
from actions.lab_cache import fingerprint, load_lab_cached, store
from tests.conftest import free_port
from tests.tui.test_health_screen import until
from tui.app import FactoryApp
from tui.widgets.host_card import HostCard
from tui.widgets.lab_bar import LabBar


def write_inventory(path: Path, hosts: list[str]) -> Path:
    port = free_port()  # nothing listens there: the poller finds every host down at once
    lines = ["all:", "  vars:", "    factory_lab_name: watched", "  hosts:"]
    lines += [f"    {name}: {{ansible_host: 127.0.0.1, ansible_port: {port}}}" for name in hosts]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def settings(tmp_path: Path) -> Settings:
    return load_settings(None, state_dir=tmp_path / "state", health={"interval": 0.3, "connect_timeout": 1.0})


def toasts(app: FactoryApp) -> str:
    """The notifications on screen, as their text."""
    return "\n".join(str(toast.render()) for toast in app.screen.query("Toast"))


async def test_an_inventory_edited_while_the_app_runs_is_read_again(tmp_path: Path) -> None:
    cfg = settings(tmp_path)
    path = write_inventory(tmp_path / "inv" / "hosts.yml", ["pi1", "pi2"])
    lab, cached = load_lab_cached(cfg.state_dir, path)
    app = FactoryApp(settings=cfg, lab=lab, inventory=path, lab_cached=cached)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        assert [c.host_name for c in app.screen.query(HostCard)] == ["pi1", "pi2"]
        write_inventory(path, ["pi1", "pi2", "pi4"])
        # No call from the test: the app's own check, on the health refresh, sees the edit.
        await until(pilot, lambda: app.inventory_watch.readings >= 1, 60, "the re-read")
        await until(pilot, lambda: len(app.screen.query(HostCard)) == 3, 60, "the new card")
        assert app.lab is not None and app.lab.host_names() == ["pi1", "pi2", "pi4"]
        assert app.health.lab == app.lab
        await until(pilot, lambda: "added pi4" in toasts(app), 60, "the note")
    # The next start finds the edited inventory in the cache, as Ansible read it.
    assert load_lab_cached(cfg.state_dir, path) == (load_lab(path), True)


async def test_a_cached_lab_that_ansible_reads_differently_is_replaced_with_a_note(tmp_path: Path) -> None:
    cfg = settings(tmp_path)
    path = write_inventory(tmp_path / "inv" / "hosts.yml", ["pi1", "pi2", "pi3"])
    truth = load_lab(path)
    # What the key cannot see (a vars plugin, say) made Ansible's reading differ from the kept one.
    kept = truth.model_copy(update={"name": "kept", "hosts": truth.hosts[:2]})
    store(cfg.state_dir, path, kept, fingerprint(path))
    lab, cached = load_lab_cached(cfg.state_dir, path)
    assert cached and lab == kept
    app = FactoryApp(settings=cfg, lab=lab, inventory=path, lab_cached=cached)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await until(pilot, lambda: app.inventory_watch.readings >= 1, 60, "the check of the cached lab")
        await until(pilot, lambda: len(app.screen.query(HostCard)) == 3, 60, "Ansible's hosts")
        assert app.lab == truth
        await until(pilot, lambda: "added pi3" in toasts(app), 60, "the note")
        assert "Ansible reads the inventory differently" in toasts(app)
        assert "'watched'" in str(app.screen.query_one(LabBar).render())


async def test_a_cached_lab_that_ansible_reads_alike_stays_without_a_note(tmp_path: Path) -> None:
    cfg = settings(tmp_path)
    path = write_inventory(tmp_path / "inv" / "hosts.yml", ["pi1"])
    load_lab_cached(cfg.state_dir, path)
    lab, cached = load_lab_cached(cfg.state_dir, path)
    assert cached
    app = FactoryApp(settings=cfg, lab=lab, inventory=path, lab_cached=cached)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await until(pilot, lambda: app.inventory_watch.readings >= 1, 60, "the check of the cached lab")
        assert app.lab is lab
        assert "differently" not in toasts(app)
