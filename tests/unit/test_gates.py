"""Gates: no permit without the confirmation a level needs; a permit fits one request, once."""

from __future__ import annotations

import pytest

from actions.gates import GateRefused, GateRequest, Level, Permit, issue, require


def req(level: Level, **kw: object) -> GateRequest:
    base: dict[str, object] = {
        "kind": "ansible.run", "level": level, "title": "run 01_system", "command": ("ansible-playbook", "x.yml"),
        "targets": ("pi1",), "confirm_name": "01_system",
    }
    base.update(kw)
    return GateRequest(**base)  # type: ignore[arg-type]


def test_read_only_needs_nothing() -> None:
    require(None, req(Level.READ_ONLY))


def test_change_needs_confirmation_and_permit() -> None:
    r = req(Level.CHANGE)
    with pytest.raises(GateRefused):
        require(None, r)
    with pytest.raises(GateRefused, match="not confirmed"):
        issue(r, confirmed=False)
    permit = issue(r, confirmed=True, operator="ana")
    require(permit, r)
    assert permit.used and permit.operator == "ana"
    with pytest.raises(GateRefused, match="already used"):
        require(permit, r)


def test_destructive_needs_the_exact_name() -> None:
    r = req(Level.DESTRUCTIVE)
    with pytest.raises(GateRefused, match="type '01_system'"):
        issue(r, confirmed=True, typed_name="01_sys")
    with pytest.raises(GateRefused):
        issue(r, confirmed=True)
    require(issue(r, confirmed=True, typed_name=" 01_system "), r)


def test_permit_fits_only_its_request() -> None:
    permit = issue(req(Level.CHANGE), confirmed=True)
    with pytest.raises(GateRefused, match="different action"):
        require(permit, req(Level.CHANGE, targets=("pi1", "pi2")))


def test_permits_cannot_be_forged() -> None:
    with pytest.raises(TypeError):
        Permit(req(Level.CHANGE), "me", b"0" * 16)


def test_describe_shows_command_targets_and_name() -> None:
    text = "\n".join(req(Level.DESTRUCTIVE, tags=("k3s",), details=("last check: ok",)).describe())
    for part in ("ansible-playbook x.yml", "pi1", "k3s", "last check: ok", "type '01_system'"):
        assert part in text
