"""The QC evaluation as Markdown tables (printed, written beside the metrics, and in the README)."""

from typing import Any

from plugin.tools.qc_metrics import SlideDecision


def markdown(summary: dict[str, Any]) -> str:
    """Region sensitivity and specificity per artefact kind, then slide decisions."""
    lines = [
        f"Regions: cells of {summary['cell_um']:g} um, at least half tissue; positive when the "
        "artefact covers at least half of the cell's tissue.",
        "",
        "| artefact | positive regions | negative regions | sensitivity | specificity |",
        "|---|---:|---:|---:|---:|",
    ]
    for kind, row in summary["regions"].items():
        lines.append(
            f"| {kind} | {row['positive_regions']} | {row['negative_regions']} | "
            f"{_f(row['sensitivity'])} | {_f(row['specificity'])} |"
        )
    decisions = list(SlideDecision)
    lines += [
        "",
        f"Slides ({summary['slides']}): truth (rows) against the gate (columns); "
        f"agreement {_f(summary['decision_agreement'])}.",
        "",
        "| truth \\ gate | " + " | ".join(d.value for d in decisions) + " |",
        "|---|" + "---:|" * len(decisions),
    ]
    for truth in decisions:
        row = summary["decisions"][truth.value]
        lines.append(
            f"| {truth.value} | " + " | ".join(str(row[d.value]) for d in decisions) + " |"
        )
    return "\n".join(lines) + "\n"


def _f(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
