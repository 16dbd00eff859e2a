"""`pathsentry qc-evaluate`: held-out artefact slides through the real gate, against truth."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from plugin.cli import app
from plugin.tools.qc_slides import held_out_cases

ARGS = ["--seeds", "1", "--first-seed", "1000", "--width-mm", "0.8", "--height-mm", "0.6"]


def test_the_set_holds_every_kind_per_seed_with_varied_strength() -> None:
    cases = held_out_cases([1000, 1001])
    assert [case.name for case in cases[:6]] == [
        "1000-clean",
        "1000-blur",
        "1000-pen",
        "1000-fold",
        "1000-bubble",
        "1000-heavy-blur",
    ]
    assert {case.kind for case in cases} == {"benign", "malignant"}
    assert cases[1].specs[0].strength != cases[7].specs[0].strength
    assert (cases[4].specs[0].edge, cases[10].specs[0].edge) == (False, True)
    assert held_out_cases([1000]) == cases[:6]


@pytest.mark.slow
def test_a_small_run_reports_regions_and_decisions(tmp_path: Path) -> None:
    out = tmp_path / "qc"
    result = CliRunner().invoke(app, ["qc-evaluate", "--out", str(out), *ARGS, "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["slides"] == 6
    regions = summary["regions"]
    assert set(regions) == {"blur", "pen", "fold", "bubble", "any"}
    totals = {row["positive_regions"] + row["negative_regions"] for row in regions.values()}
    assert len(totals) == 1 and totals.pop() > 0  # every kind counts the same tissue cells
    assert regions["any"]["positive_regions"] >= max(
        regions[kind]["positive_regions"] for kind in ("blur", "pen", "fold", "bubble")
    )
    per_slide = {row["slide"]: row for row in summary["per_slide"]}
    assert per_slide["1000-clean"]["truth_decision"] == "clean"
    assert per_slide["1000-pen"]["drawn"] == ["pen"]
    heavy = per_slide["1000-heavy-blur"]
    assert heavy["truth_decision"] == "not evaluable"
    assert heavy["found_decision"] == "not evaluable"  # the focus check sees it
    assert sum(sum(row.values()) for row in summary["decisions"].values()) == 6
    assert json.loads((out / "qc-metrics.json").read_text())["regions"] == regions
    assert "| blur |" in (out / "qc-report.md").read_text()

    level = out / "slides" / "1000-clean" / "level-0.dcm"
    written = level.stat().st_mtime_ns
    again = CliRunner().invoke(app, ["qc-evaluate", "--out", str(out), *ARGS, "--json"])
    assert again.exit_code == 0, again.output
    assert level.stat().st_mtime_ns == written  # the slides are reused
    assert json.loads(again.stdout)["regions"] == regions
