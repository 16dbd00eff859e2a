"""The evaluation report: ROC curve and violin plot (matplotlib PNGs), scores CSV, Markdown."""

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
from matplotlib.figure import Figure

from inference.evaluation import roc_curve
from plugin.tools.slide_scoring import SlideOutcome

REPORT_NAME = "report.md"
_MALIGNANT_COLOUR, _BENIGN_COLOUR = "#cb181d", "#2171b5"


def write_report(
    folder: Path, outcomes: Sequence[SlideOutcome], summary: dict[str, Any], title: str
) -> dict[str, str]:
    """Write every file of the report into `folder`; the paths, by name."""
    folder.mkdir(parents=True, exist_ok=True)
    evaluable = [outcome for outcome in outcomes if outcome.score is not None]
    paths = {
        "scores": _scores_csv(folder / "scores.csv", outcomes),
        "metrics": folder / "metrics.json",
        "violin": write_violin(folder / "violin.png", evaluable, summary["threshold"]),
    }
    overall = summary["overall"]
    if overall["auc"] is not None:
        paths["roc"] = write_roc(folder / "roc.png", evaluable, overall)
    paths["report"] = folder / REPORT_NAME
    named = {name: str(path) for name, path in paths.items()}
    paths["metrics"].write_text(json.dumps({**summary, "files": named}, indent=2) + "\n")
    paths["report"].write_text(markdown(summary, paths, title))
    return named


def write_roc(path: Path, outcomes: Sequence[SlideOutcome], overall: dict[str, Any]) -> Path:
    """The ROC curve (1 - specificity against sensitivity) with both operating points."""
    scores, truth = _arrays(outcomes)
    curve = roc_curve(scores, truth)
    figure = Figure(figsize=(5, 5), dpi=110)
    axes = figure.add_subplot(1, 1, 1)
    axes.plot(
        curve.false_positive_rate,
        curve.true_positive_rate,
        color="#08519c",
        label=f"AUC {overall['auc']:.3f}",
    )
    axes.plot([0, 1], [0, 1], color="#bbbbbb", linestyle=":", linewidth=1)
    _point(axes, overall, "configured threshold", "o")
    if overall["at_target"]:
        _point(axes, overall["at_target"], f"sensitivity >= {overall['target_sensitivity']}", "s")
    axes.set_xlabel("1 - specificity")
    axes.set_ylabel("sensitivity")
    axes.set_xlim(-0.02, 1.02)
    axes.set_ylim(-0.02, 1.02)
    axes.set_aspect("equal")
    axes.legend(loc="lower right")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path)
    return path


def _point(axes: Any, point: dict[str, Any], name: str, marker: str) -> None:
    if point["sensitivity"] is None or point["specificity"] is None:
        return
    axes.plot(
        1 - point["specificity"],
        point["sensitivity"],
        marker,
        markersize=8,
        label=f"{name} ({point['threshold']:.6g})",
    )


def write_violin(path: Path, outcomes: Sequence[SlideOutcome], threshold: float) -> Path:
    """Violin plots of slide scores by class, median and quartiles marked, slides as dots."""
    scores, truth = _arrays(outcomes)
    figure = Figure(figsize=(5, 4.5), dpi=110)
    axes = figure.add_subplot(1, 1, 1)
    groups = [
        ("benign", scores[~truth], _BENIGN_COLOUR),
        ("malignant", scores[truth], _MALIGNANT_COLOUR),
    ]
    present = [
        (position, name, values, colour)
        for position, (name, values, colour) in enumerate(groups, 1)
        if len(values)
    ]
    for position, _, values, colour in present:
        if len(values) > 1 and np.ptp(values) > 0:
            violin = axes.violinplot([values], positions=[position], showextrema=False)
            # matplotlib returns the bodies as a list of PolyCollections (typed as one Collection).
            for body in cast(list[Any], violin["bodies"]):
                body.set_facecolor(colour)
                body.set_alpha(0.35)
        low, median, high = np.percentile(values, [25, 50, 75])
        axes.vlines(position, low, high, color="black", linewidth=5)
        axes.scatter([position], [median], color="white", edgecolor="black", zorder=3, s=30)
        jitter = np.linspace(-0.08, 0.08, len(values)) if len(values) > 1 else np.zeros(1)
        axes.scatter(position + jitter, values, color=colour, s=10, alpha=0.8, zorder=2)
    axes.axhline(
        threshold, color="#555555", linestyle="--", linewidth=1, label=f"threshold {threshold:.3g}"
    )
    axes.set_xticks(
        [position for position, *_ in present],
        [f"{name} (n={len(values)})" for _, name, values, _ in present],
    )
    axes.set_ylabel("slide score (probability of cancer)")
    axes.set_ylim(-0.02, 1.02)
    axes.legend(loc="upper left")
    axes.grid(alpha=0.3, axis="y")
    figure.tight_layout()
    figure.savefig(path)
    return path


def _arrays(outcomes: Sequence[SlideOutcome]) -> tuple[np.ndarray, np.ndarray]:
    scores = np.array([outcome.score for outcome in outcomes], dtype=np.float64)
    return scores, np.array([outcome.row.malignant for outcome in outcomes], dtype=bool)


def _scores_csv(path: Path, outcomes: Sequence[SlideOutcome]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "slide",
                "label",
                "scanner",
                "site",
                "date",
                "score",
                "dice",
                "lesions",
                "lesions_hit",
                "reason",
            ]
        )
        for outcome in outcomes:
            row, agreement = outcome.row, outcome.agreement
            writer.writerow(
                [
                    row.slide,
                    "malignant" if row.malignant else "benign",
                    row.scanner or "",
                    row.site or "",
                    row.date.isoformat() if row.date else "",
                    "" if outcome.score is None else f"{outcome.score:.6f}",
                    "" if agreement is None or agreement.dice is None else f"{agreement.dice:.4f}",
                    "" if agreement is None else agreement.lesions,
                    "" if agreement is None else agreement.lesions_hit,
                    outcome.reason or "",
                ]
            )
    return path


def markdown(summary: dict[str, Any], paths: dict[str, Path], title: str) -> str:
    """The report as Markdown, figures linked beside it."""
    overall = summary["overall"]
    lines = [
        f"# {title}",
        "",
        f"{summary['evaluable']} of {summary['slides']} slides evaluable "
        f"({overall['malignant']} malignant, {overall['benign']} benign); slide score "
        f"{summary.get('score', 'top-k mean')}.",
        "",
        _cells("", "AUC", "sensitivity", "specificity", "accuracy", "threshold"),
        _cells(*["---"] * 6),
        _operating_row("configured threshold", overall, overall),
    ]
    if overall["at_target"]:
        name = f"sensitivity >= {overall['target_sensitivity']}"
        lines.append(_operating_row(name, overall, overall["at_target"]))
    intervals = [
        f"{name} {_f(value[0])}-{_f(value[1])}"
        for name, value in overall["intervals_95"].items()
        if value
    ]
    if intervals:
        lines += ["", f"95% bootstrap intervals (configured threshold): {', '.join(intervals)}."]
    for key, name in (("by_scanner", "scanner"), ("by_site", "site"), ("by_period", "period")):
        if summary[key]:
            lines += ["", *_group_lines(name, summary[key])]
    if summary["maps"]:
        lines += ["", *_map_lines(summary["maps"])]
    if summary["not_evaluable"]:
        lines += ["", "## Not evaluable", ""]
        lines += [f"- {entry['slide']}: {entry['reason']}" for entry in summary["not_evaluable"]]
    lines += ["", "## Figures", ""]
    lines += [f"![{name}]({paths[name].name})" for name in ("roc", "violin") if name in paths]
    return "\n".join(lines) + "\n"


def _group_lines(name: str, groups: dict[str, Any]) -> list[str]:
    lines = [
        f"## By {name}",
        "",
        _cells(name, "slides", "malignant", "AUC", "sensitivity", "specificity", "accuracy"),
        _cells(*["---"] * 7),
    ]
    for group, figures in groups.items():
        values = [_f(figures[key]) for key in ("auc", "sensitivity", "specificity", "accuracy")]
        lines.append(_cells(group, str(figures["slides"]), str(figures["malignant"]), *values))
    return lines


def _map_lines(maps: dict[str, Any]) -> list[str]:
    pooled = maps["pooled"]
    return [
        "## Heatmaps against the truth",
        "",
        f"{maps['slides_with_truth']} slides with truth; a map pixel is called malignant at "
        f"probability >= {maps['pixel_threshold']}.",
        "",
        _cells(
            "Dice (pooled)",
            "mean Dice, malignant slides",
            "pixel sensitivity",
            "pixel specificity",
            "lesions hit",
        ),
        _cells(*["---"] * 5),
        _cells(
            _f(pooled["dice"]),
            _f(maps["mean_dice_malignant_slides"]),
            _f(pooled["sensitivity"]),
            _f(pooled["specificity"]),
            f"{pooled['lesions_hit']} of {pooled['lesions']}",
        ),
    ]


def _operating_row(name: str, overall: dict[str, Any], point: dict[str, Any]) -> str:
    values = [_f(point[key]) for key in ("sensitivity", "specificity", "accuracy")]
    return _cells(name, _f(overall["auc"]), *values, f"{point['threshold']:.6g}")


def _cells(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _f(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
