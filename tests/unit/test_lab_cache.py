"""The lab cache: a second start reads the lab kept from the first, and any change to the inventory's
files (contents, even with mtime and size kept) is read through Ansible again. Real Ansible throughout."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from actions.lab import InventoryError, load_lab
from actions.lab_cache import cache_path, fingerprint, load_lab_cached, read_in_child, store


def inventory(tmp_path: Path, port: int = 2200) -> Path:
    (tmp_path / "host_vars").mkdir(parents=True, exist_ok=True)
    (tmp_path / "hosts.yml").write_text(
        "all:\n  vars:\n    factory_lab_name: bench\n  children:\n    web:\n      hosts:\n"
        "        a: {ansible_host: 10.0.0.1}\n        b:\n"
    )
    (tmp_path / "host_vars" / "a.yml").write_text(f"ansible_port: {port}\n")
    return tmp_path / "hosts.yml"


def test_a_second_load_comes_from_the_cache_and_equals_ansibles_reading(tmp_path: Path) -> None:
    path, state = inventory(tmp_path / "inv"), tmp_path / "state"
    first, cached = load_lab_cached(state, path)
    assert not cached and cache_path(state, path).is_file()
    second, cached = load_lab_cached(state, path)
    assert cached
    assert second == first == load_lab(path)
    assert second.host("a").port == 2200


def test_a_changed_inventory_is_picked_up(tmp_path: Path) -> None:
    path, state = inventory(tmp_path / "inv"), tmp_path / "state"
    load_lab_cached(state, path)
    (path.parent / "host_vars" / "a.yml").write_text("ansible_port: 2201\n")
    lab, cached = load_lab_cached(state, path)
    assert not cached and lab.host("a").port == 2201
    # A new file beside the inventory counts as much as an edited one. (Read in a child: Ansible keeps
    # the list of a vars directory's files for the life of its process.)
    (path.parent / "host_vars" / "b.yml").write_text("ansible_port: 2202\n")
    assert load_lab_cached(state, path)[1] is False
    assert asyncio.run(read_in_child(state, path)).host("b").port == 2202


def test_new_contents_with_the_same_mtime_and_size_are_picked_up(tmp_path: Path) -> None:
    path, state = inventory(tmp_path / "inv"), tmp_path / "state"
    load_lab_cached(state, path)
    vars_file = path.parent / "host_vars" / "a.yml"
    before = vars_file.stat()
    vars_file.write_text("ansible_port: 2209\n")
    os.utime(vars_file, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert vars_file.stat().st_size == before.st_size
    lab, cached = load_lab_cached(state, path)
    assert not cached and lab.host("a").port == 2209


def test_the_ansible_environment_is_part_of_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = inventory(tmp_path / "inv")
    key = fingerprint(path)
    monkeypatch.setenv("ANSIBLE_INVENTORY_ENABLED", "yaml")
    assert fingerprint(path) not in (None, key)


def test_scripts_and_plugin_inventories_are_never_cached(tmp_path: Path) -> None:
    script = tmp_path / "hosts.sh"
    script.write_text("#!/bin/sh\necho '{}'\n")
    script.chmod(0o755)
    plugin = tmp_path / "cloud.yml"
    plugin.write_text("plugin: amazon.aws.aws_ec2\nregions: [eu-west-1]\n")
    assert fingerprint(script) is None and fingerprint(plugin) is None


def test_a_cache_kept_under_another_key_is_not_used(tmp_path: Path) -> None:
    path, state = inventory(tmp_path / "inv"), tmp_path / "state"
    stale = load_lab(path).model_copy(update={"name": "stale"})
    store(state, path, stale, "another key")
    lab, cached = load_lab_cached(state, path)
    assert not cached and lab.name == "bench"


def test_the_child_reads_like_ansible_keeps_it_and_words_errors(tmp_path: Path) -> None:
    path, state = inventory(tmp_path / "inv"), tmp_path / "state"
    lab = asyncio.run(read_in_child(state, path))
    assert lab == load_lab(path)
    assert load_lab_cached(state, path) == (lab, True)
    path.write_text("all:\n  hosts: [\n")
    with pytest.raises(InventoryError, match="invalid YAML"):
        asyncio.run(read_in_child(state, path))


def test_a_miss_read_in_a_child_process_loads_no_ansible_in_the_caller(tmp_path: Path) -> None:
    """The app's start reads a miss this way: Ansible is never imported in the app's own process (its
    import sets up the terminal the app is drawing on)."""
    import json
    import subprocess
    import sys

    path, state = inventory(tmp_path / "inv"), tmp_path / "state"
    code = (
        "import asyncio, json, sys\n"
        "from pathlib import Path\n"
        "from actions.lab_cache import read_in_child\n"
        f"lab = asyncio.run(read_in_child(Path({str(state)!r}), Path({str(path)!r})))\n"
        "print(json.dumps([lab.name, any(m.startswith('ansible') for m in sys.modules)]))\n"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == ["bench", False]
    assert load_lab_cached(state, path) == (load_lab(path), True)  # what the child read was kept


def test_a_cancelled_read_stops_the_child_and_the_script_it_ran(tmp_path: Path) -> None:
    """An inventory script that hangs: cancelling the read (the app quit) stops it too, not the child alone."""
    from actions.procs import alive
    from tests.hanging_inventory import HangingInventory
    from tests.waiting import wait_for

    script = HangingInventory(tmp_path)

    async def cancelled() -> int:
        reading = asyncio.create_task(read_in_child(tmp_path / "state", script.path))
        await wait_for(lambda: script.pid is not None, 60, "Ansible to run the inventory script")
        reading.cancel()
        with pytest.raises(asyncio.CancelledError):
            await reading
        assert script.pid is not None
        return script.pid

    pid = asyncio.run(cancelled())
    asyncio.run(wait_for(lambda: not alive(pid), 10, "the inventory script to be stopped"))
