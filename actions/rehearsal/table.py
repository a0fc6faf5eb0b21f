"""The converge table as text: Markdown for the guidebook (generated, never retyped) and the CLI's styles."""

from __future__ import annotations

from pathlib import Path

from actions.rehearsal.tally import Verdict

STYLE = {
    Verdict.CONVERGED: "green",
    Verdict.NEEDS_ARTIFACT: "yellow",
    Verdict.FAILED: "bold red",
    Verdict.CHANGES_AGAIN: "red",
    Verdict.NOT_RUN: "dim",
}


def markdown(report: object, artifact_dir: Path) -> str:
    """The table in Markdown; the artifact directory is written ``$ARTIFACTS`` so the page is machine-free."""
    rows = getattr(report, "rows", [])
    lines = ["| Role | Verdict | Playbooks | Detail |", "|---|---|---|---|"]
    for row in rows:
        detail = row.detail.replace(str(artifact_dir), "$ARTIFACTS").replace("|", "\\|")
        lines.append(f"| `{row.role}` | {row.verdict.value} | {', '.join(row.playbooks)} | {detail} |")
    return "\n".join(lines)
