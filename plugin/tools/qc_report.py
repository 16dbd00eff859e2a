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
        cells = " | ".join(str(row[d.value]) for d in decisions)
        lines.append(f"| {truth.value} | {cells} |")
    return "\n".join([*lines, "", *_per_slide(summary["per_slide"])]) + "\n"


def _per_slide(slides: list[dict[str, Any]]) -> list[str]:
    """Each slide: the share of its tissue under each kind, in truth and as found; decisions."""
    lines = [
        "| slide | truth: share of the tissue | gate: share of the tissue it found "
        "| truth | gate |",
        "|---|---|---|---|---|",
    ]
    for slide in slides:
        lines.append(
            f"| {slide['slide']} | {_shares(slide['truth_fractions'])} | "
            f"{_shares(slide['found_fractions'])} | {slide['truth_decision']} | "
            f"{slide['found_decision']} |"
        )
    return lines


def _shares(fractions: dict[str, float]) -> str:
    found = [f"{kind} {share:.0%}" for kind, share in fractions.items() if share >= 0.005]
    return ", ".join(found) or "none"


def _f(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
