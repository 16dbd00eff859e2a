"""`pathsentry evaluate`: metrics against an independent computation, the report, the maps."""

import csv
import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from inference.model import ModelConfig, build_model, save_weights
from plugin.cli import app
from tests.plugin.annotated import write_annotated_slide

SMALL_TILES = {
    "PATHSENTRY_INFERENCE__TILE_SIZE": "192",
    "PATHSENTRY_INFERENCE__TILE_KEEP": "160",
    "PATHSENTRY_INFERENCE__TOP_K": "100",
    "PATHSENTRY_INFERENCE__DEVICE": "cpu",
    "PATHSENTRY_EVALUATION__BOOTSTRAP": "50",
}


def scored_set(path: Path, seed: int = 0, size: int = 40) -> list[dict[str, str]]:
    rng = np.random.default_rng(seed)
    rows = []
    for index in range(size):
        malignant = index % 3 == 0
        score = float(np.clip(rng.normal(0.7 if malignant else 0.3, 0.2), 0, 1))
        rows.append(
            {
                "slide": f"slide-{index}",
                "label": "malignant" if malignant else "benign",
                "scanner": ["KFBio", "Ventana"][index % 2],
                "site": ["PLAGH", "PUMCH", "CHCAMS"][index % 3 - (index % 5 == 0)],
                "date": f"2017-{6 + index % 3:02d}-{1 + index % 28:02d}",
                "score": f"{score:.6f}",
            }
        )
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return rows


def independent(rows: list[dict[str, str]], threshold: float) -> dict[str, float]:
    """AUC by pairwise comparison; the rest by counting slides one by one."""
    malignant = [float(row["score"]) for row in rows if row["label"] == "malignant"]
    benign = [float(row["score"]) for row in rows if row["label"] == "benign"]
    pairs = list(itertools.product(malignant, benign))
    wins = sum(1.0 if m > b else 0.5 if m == b else 0.0 for m, b in pairs)
    tp = sum(score >= threshold for score in malignant)
    tn = sum(score < threshold for score in benign)
    return {
        "auc": wins / len(pairs),
        "sensitivity": tp / len(malignant),
        "specificity": tn / len(benign),
        "accuracy": (tp + tn) / len(rows),
    }


def evaluate(*arguments: str) -> dict[str, object]:
    result = CliRunner().invoke(app, ["evaluate", *arguments, "--json"], env=SMALL_TILES)
    assert result.exit_code == 0, result.output
    assert len(result.stdout.strip().splitlines()) == 1
    summary: dict[str, object] = json.loads(result.stdout)
    return summary


def test_metrics_match_an_independent_computation_overall_and_by_group(tmp_path: Path) -> None:
    rows = scored_set(tmp_path / "set.csv")
    summary = evaluate(
        str(tmp_path / "set.csv"), "--threshold", "0.45", "--out", str(tmp_path / "report")
    )
    overall = summary["overall"]
    assert isinstance(overall, dict)
    for key, value in independent(rows, 0.45).items():
        assert overall[key] == pytest.approx(value, abs=1e-12), key
    by_scanner = summary["by_scanner"]
    assert isinstance(by_scanner, dict) and set(by_scanner) == {"KFBio", "Ventana"}
    for scanner, figures in by_scanner.items():
        expected = independent([row for row in rows if row["scanner"] == scanner], 0.45)
        assert figures["auc"] == pytest.approx(expected["auc"]) and figures[
            "sensitivity"
        ] == pytest.approx(expected["sensitivity"])
    by_period = summary["by_period"]
    assert isinstance(by_period, dict) and set(by_period) == {"2017-06", "2017-07", "2017-08"}
    assert sum(figures["slides"] for figures in by_period.values()) == len(rows)
    by_site = summary["by_site"]
    assert isinstance(by_site, dict) and set(by_site) == {row["site"] for row in rows}


def test_the_threshold_for_the_target_sensitivity_is_reported(tmp_path: Path) -> None:
    rows = scored_set(tmp_path / "set.csv", seed=3)
    summary = evaluate(
        str(tmp_path / "set.csv"), "--target-sensitivity", "0.9", "--out", str(tmp_path / "r")
    )
    target = summary["overall"]["at_target"]  # type: ignore[index]
    malignant = sorted(
        (float(row["score"]) for row in rows if row["label"] == "malignant"), reverse=True
    )
    needed = int(np.ceil(0.9 * len(malignant)))
    assert target["threshold"] == pytest.approx(malignant[needed - 1])
    assert target["sensitivity"] >= 0.9


def test_the_report_holds_the_figures_and_plots(tmp_path: Path) -> None:
    scored_set(tmp_path / "set.csv")
    summary = evaluate(
        str(tmp_path / "set.csv"), "--period", "quarter", "--out", str(tmp_path / "r")
    )
    files = summary["files"]
    assert isinstance(files, dict)
    for name in ("roc", "violin", "report", "scores", "metrics"):
        assert Path(files[name]).is_file(), name
    assert Path(files["roc"]).read_bytes()[:4] == b"\x89PNG"
    report = Path(files["report"]).read_text()
    assert "## By scanner" in report and "2017-Q2" in report and "![roc](roc.png)" in report
    assert json.loads(Path(files["metrics"]).read_text())["overall"] == summary["overall"]
    assert summary["overall"]["intervals_95"]["auc"] is not None  # type: ignore[index]


def test_bad_sets_are_refused_with_the_line(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text("slide,label\na,malignant\nb,maybe\n")
    result = CliRunner().invoke(app, ["evaluate", str(tmp_path / "bad.csv")], env=SMALL_TILES)
    assert result.exit_code != 0 and "line 3" in str(result.exception)


def test_slides_are_scored_by_the_model_and_maps_compared_with_truth(tmp_path: Path) -> None:
    for seed, malignant in ((0, True), (1, False)):
        write_annotated_slide(tmp_path / f"s{seed}", seed, malignant)
    (tmp_path / "set.csv").write_text("slide,label\ns0,malignant\ns1,benign\n")
    config = ModelConfig.for_stride(16, depth=18, width=4, aspp_channels=8, name="tiny")
    weights = tmp_path / "tiny.safetensors"
    save_weights(build_model(config), config, weights)
    summary = evaluate(
        str(tmp_path / "set.csv"), "--weights", str(weights), "--out", str(tmp_path / "r")
    )
    assert summary["evaluable"] == 2 and summary["model"]["name"] == "tiny"  # type: ignore[index]
    maps = summary["maps"]
    assert isinstance(maps, dict)
    assert maps["slides_with_truth"] == 2 and maps["pooled"]["lesions"] == 1
    with Path(summary["files"]["scores"]).open() as handle:  # type: ignore[index]
        scores = list(csv.DictReader(handle))
    assert [row["lesions"] for row in scores] == ["1", "0"]
    assert all(0 <= float(row["score"]) <= 1 for row in scores)
