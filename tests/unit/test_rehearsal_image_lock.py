"""A second lab coming up while the base image is being built waits for that build and uses its image
(two test workers, or two terminals, on a machine with no image yet), and says why it gave up when the
build never ends. Real ``flock`` locks; no debootstrap runs."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from actions.locks import FileLock
from actions.rehearsal import image


def test_a_build_going_on_is_waited_for_and_its_image_used(tmp_path: Path) -> None:
    builder = FileLock(tmp_path / ".build.lock", "building the rehearsal base image")
    builder.acquire()
    said: list[str] = []
    got: list[Path | BaseException] = []

    def second_lab() -> None:
        try:
            got.append(image.ensure(tmp_path, None, said.append, wait=60))
        except BaseException as exc:  # handed to the test's thread
            got.append(exc)

    waiter = threading.Thread(target=second_lab)
    waiter.start()
    waiter.join(timeout=1.0)
    assert waiter.is_alive() and not got, got  # waiting, not failing, while the other build goes on
    # The other build finishes: its image is ready, its lock released.
    image.image_path(tmp_path).mkdir(parents=True)
    (tmp_path / image.key() / "ready.json").write_text("{}")
    builder.release()
    waiter.join(timeout=30)
    assert got == [image.image_path(tmp_path)]
    assert said == [f"waiting for another process building the base image in {tmp_path} ..."]
    assert not list(tmp_path.glob("*.partial")), "the waiting lab built an image of its own"


def test_a_build_that_never_ends_is_named_after_the_wait(tmp_path: Path) -> None:
    with FileLock(tmp_path / ".build.lock", "building the rehearsal base image"), \
            pytest.raises(image.ImageError) as caught:
        image.ensure(tmp_path, None, lambda _line: None, wait=0.2)
    message = str(caught.value)
    assert "another process is still building the base image" in message
    assert "building the rehearsal base image (pid" in message
    assert not image.is_ready(tmp_path)
