"""Saved-plan records, staleness, roots and error wording: the pure parts of the OpenTofu adapter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from actions.config import Settings
from actions.tofu import store
from actions.tofu.errors import format_diagnostic, provider_unavailable
from actions.tofu.roots import discover_roots, find_root, guide_page
from actions.tofu.runner import build_argv, parse_line
from actions.tofu.summary import Counts

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def record(**kw: object) -> store.PlanRecord:
    base: dict[str, object] = {"root": "iac", "status": "changes", "created_at": NOW - timedelta(minutes=5),
                               "serial": 7, "lineage": "abc"}
    base.update(kw)
    return store.PlanRecord.model_validate(base)


def test_fresh_plan_is_not_stale() -> None:
    assert store.stale_reason(record(), (7, "abc"), 15, NOW) is None


def test_old_plan_is_stale() -> None:
    reason = store.stale_reason(record(created_at=NOW - timedelta(minutes=20)), (7, "abc"), 15, NOW)
    assert reason == "the plan of iac is 20m00s old (limit 15 min): plan again"


def test_moved_serial_or_lineage_is_stale() -> None:
    assert "serial 7 -> 8" in (store.stale_reason(record(), (8, "abc"), 15, NOW) or "")
    assert "lineage changed" in (store.stale_reason(record(), (7, "zzz"), 15, NOW) or "")


def test_state_ids_of_no_state() -> None:
    assert store.state_ids(b"") == (0, "")
    assert store.state_ids(b'{"serial": 3, "lineage": "x"}') == (3, "x")


def test_record_round_trip_and_unreadable_record(settings: Settings) -> None:
    saved = record(root="postgres/iac", counts=Counts(add=2))
    path = store.save_record(settings, saved)
    assert path == settings.state_dir / "plans" / "postgres" / "iac" / "plan.json"
    assert store.load_record(settings, "postgres/iac") == saved
    path.write_text("{not json")
    assert store.load_record(settings, "postgres/iac") is None
    assert store.load_record(settings, "never") is None


def test_guide_pages() -> None:
    repo = Path("/r")
    assert guide_page("iac", repo) == Path("/r/docs/tofu/iac.md")
    assert guide_page("postgres/iac", repo) == Path("/r/docs/tofu/postgres.md")


def test_configured_roots_and_unknown_root(settings: Settings, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "iac").mkdir(parents=True)
    extra = tmp_path / "elsewhere" / "edge"
    extra.mkdir(parents=True)
    conf = settings.model_copy(update={"tofu": settings.tofu.model_copy(update={"roots": [extra]})})
    names = [r.name for r in discover_roots(conf, repo)]
    assert names == ["iac", "edge"]
    assert find_root(conf, "iac/", repo).path == repo / "iac"
    with pytest.raises(Exception, match="unknown root 'nope'; known roots: iac, edge"):
        find_root(conf, "nope", repo)


def test_diagnostics_read_as_one_line() -> None:
    diag = {"summary": "Invalid expression", "detail": "Expected the start.\n\nMore advice.",
            "range": {"filename": "main.tf", "start": {"line": 4}}}
    assert format_diagnostic(diag) == "main.tf:4: Invalid expression: Expected the start."


def test_provider_trouble_is_recognised() -> None:
    diags = [{"summary": "Failed to query available provider packages",
              "detail": "Could not retrieve the list of available versions for provider hashicorp/google: "
                        "could not connect to registry.terraform.io"}]
    assert "provider hashicorp/google is not available" in (provider_unavailable(diags) or "")
    assert provider_unavailable([{"summary": "Invalid expression"}]) is None


def test_argv_is_built_by_python_terraform_and_never_with_a_var_file() -> None:
    from python_terraform import IsFlagged

    argv = build_argv("/bin/tofu", "plan", input=False, json=IsFlagged, detailed_exitcode=IsFlagged, out="/p")
    assert argv == ["/bin/tofu", "plan", "-input=false", "-json", "-detailed-exitcode", "-out=/p"]
    with pytest.raises(ValueError, match="environment"):
        build_argv("/bin/tofu", "plan", var={"a": "b"})


def test_lines_parse_as_events() -> None:
    event = parse_line('{"type": "diagnostic", "@level": "error", "@message": "Error: x"}\n', "stdout")
    assert (event.type, event.is_error, event.message) == ("diagnostic", True, "Error: x")
    plain = parse_line("Error: not json\n", "stdout")
    assert (plain.type, plain.is_error) == ("text", True)
    assert parse_line("{broken", "stdout").type == "text"


def test_backend_trouble_gets_a_next_step() -> None:
    from actions.tofu.errors import backend_hint

    needs = [{"summary": 'Backend initialization required, please run "terraform init"'}]
    assert "remote backend" in (backend_hint(needs, backend=False) or "")
    assert backend_hint(needs, backend=True) is None
    creds = [{"summary": "storage.NewClient() failed: dialing: google: could not find default credentials."}]
    assert "GOOGLE_APPLICATION_CREDENTIALS" in (backend_hint(creds, backend=True) or "")
