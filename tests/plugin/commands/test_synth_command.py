"""`pathsentry synth`: a conformant, readable, reproducible slide with its ground truth."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner
from wsidicom import WsiDicom

from plugin.cli import app
from tests.dicom.conformance import assert_dcentvfy_clean, assert_dciodvfy_clean

SMALL = ["--width-mm", "0.7", "--height-mm", "0.55", "--tile-size", "256"]


def synth(out: Path, *args: str) -> dict[str, object]:
    result = CliRunner().invoke(app, ["synth", str(out), *SMALL, *args, "--json"])
    assert result.exit_code == 0, result.output
    summary: dict[str, object] = json.loads(result.stdout)
    return summary


@pytest.fixture(scope="module")
def malignant(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    out = tmp_path_factory.mktemp("malignant")
    return out, synth(out, "--kind", "malignant", "--seed", "3", "--case", "C1")


def test_every_file_passes_dciodvfy_and_agrees(malignant: tuple[Path, dict[str, object]]) -> None:
    out, _ = malignant
    files = sorted(out.glob("*.dcm"))
    assert {path.name for path in files} >= {"level-0.dcm", "level-3.dcm", "label.dcm"}
    for path in files:
        assert_dciodvfy_clean(path)
    assert_dcentvfy_clean(files)


def test_wsidicom_reads_every_level(malignant: tuple[Path, dict[str, object]]) -> None:
    out, summary = malignant
    with WsiDicom.open(out) as slide:
        assert len(slide.levels) == len(summary["levels"])  # type: ignore[arg-type]
        assert len(slide.levels) >= 4
        assert slide.levels[0].size.width == summary["width"]
        assert slide.levels[0].pixel_spacing.width == pytest.approx(0.238e-3, rel=1e-6)  # mm
        for index in range(len(slide.levels)):
            pixels = np.asarray(slide.read_region((0, 0), index, (64, 64)).convert("RGB"))
            assert pixels.shape == (64, 64, 3)
        assert slide.read_label() is not None
        assert slide.read_overview() is not None


def test_truth_matches_the_slide(malignant: tuple[Path, dict[str, object]]) -> None:
    out, summary = malignant
    truth = json.loads((out / "truth" / "truth.json").read_text())
    labels = np.asarray(Image.open(out / "truth" / "labels.png"))
    with WsiDicom.open(out) as slide:
        level = slide.levels[truth["labels_level"]]
        assert labels.shape == (level.size.height, level.size.width)
    assert set(np.unique(labels)) <= {0, 1, 2}
    fraction = summary["lesion_fraction"]
    assert isinstance(fraction, float)
    assert 0.03 < truth["lesion_fraction_of_tissue"] == fraction < 0.35
    features = json.loads((out / "truth" / "annotations.geojson").read_text())["features"]
    assert len(features) == truth["lesions"] >= 1
    ring = features[0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1]
    assert all(0 <= x <= summary["width"] and 0 <= y <= summary["height"] for x, y in ring)


def test_same_seed_same_bytes_and_benign_has_no_lesion(
    malignant: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    out, summary = malignant
    again = synth(tmp_path / "again", "--kind", "malignant", "--seed", "3", "--case", "C1")
    assert again["series_uid"] == summary["series_uid"]
    for path in sorted(out.glob("*.dcm")):
        assert (tmp_path / "again" / path.name).read_bytes() == path.read_bytes()
    benign = synth(tmp_path / "benign", "--kind", "benign", "--seed", "4", "--case", "C1")
    assert benign["study_uid"] == summary["study_uid"]
    assert benign["series_uid"] != summary["series_uid"]
    assert benign["lesion_fraction"] == 0.0
    labels = np.asarray(Image.open(tmp_path / "benign" / "truth" / "labels.png"))
    assert not np.any(labels == 2)


def test_unknown_kind_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["synth", str(tmp_path), "--kind", "weird"])
    assert result.exit_code != 0
    assert "--kind must be one of malignant, benign" in str(result.exception)
