"""`pathsentry synth --artefact`: artefacts on every pyramid level where truth/ says."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage
from typer.testing import CliRunner
from wsidicom import WsiDicom

from plugin.cli import app

SMALL = ["--width-mm", "0.8", "--height-mm", "0.6", "--tile-size", "256", "--seed", "5"]
ARTEFACTS = ["--artefact", "pen:ink=black:area=0.1", "--artefact", "fold:strength=0.9"]


def _synth(out: Path, *args: str) -> dict[str, object]:
    result = CliRunner().invoke(app, ["synth", str(out), *SMALL, *args, "--json"])
    assert result.exit_code == 0, result.output
    summary: dict[str, object] = json.loads(result.stdout)
    return summary


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, object]]:
    clean = tmp_path_factory.mktemp("clean")
    drawn = tmp_path_factory.mktemp("drawn")
    _synth(clean)
    return clean, drawn, _synth(drawn, *ARTEFACTS)


def test_truth_lists_every_kind_drawn(pair: tuple[Path, Path, dict[str, object]]) -> None:
    _, drawn, summary = pair
    truth = json.loads((drawn / "truth" / "truth.json").read_text())
    assert set(truth["artefacts"]) == {"pen", "fold"}
    assert truth["artefacts"]["pen"]["specs"] == ["pen:strength=0.7:area=0.1:ink=black"]
    fractions = summary["artefact_fractions"]
    assert isinstance(fractions, dict)
    for kind, entry in truth["artefacts"].items():
        mask = np.asarray(Image.open(drawn / "truth" / entry["file"]))
        labels = np.asarray(Image.open(drawn / "truth" / "labels.png"))
        assert mask.shape == labels.shape
        assert set(np.unique(mask)) == {0, 255}
        share = np.count_nonzero((mask > 0) & (labels > 0)) / np.count_nonzero(labels)
        assert share == pytest.approx(entry["fraction_of_tissue"])
        assert fractions[kind] == pytest.approx(share)
        assert share > 0.02


def test_every_level_changes_inside_the_truth_only(
    pair: tuple[Path, Path, dict[str, object]],
) -> None:
    clean, drawn, _ = pair
    labels = np.asarray(Image.open(drawn / "truth" / "labels.png"))
    pen = np.asarray(Image.open(drawn / "truth" / "artefacts-pen.png")) > 0
    fold = np.asarray(Image.open(drawn / "truth" / "artefacts-fold.png")) > 0
    with WsiDicom.open(clean) as plain, WsiDicom.open(drawn) as slide:
        for level in slide.levels:
            size = level.size.to_tuple()
            a = np.asarray(plain.read_region((0, 0), level.level, size).convert("RGB"), int)
            b = np.asarray(slide.read_region((0, 0), level.level, size).convert("RGB"), int)
            changed = np.abs(a - b).sum(axis=2) > 40
            both = _resize(pen | fold, changed.shape)
            inner = ndimage.binary_erosion(both & _resize(labels > 0, changed.shape), iterations=2)
            assert changed[inner].mean() > 0.8, level.level
            far = ~ndimage.binary_dilation(both, iterations=24)
            assert not changed[far].any(), level.level


def test_a_bad_spec_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["synth", str(tmp_path / "s"), "--artefact", "pen:area=2"])
    assert result.exit_code == 2
    assert "area=2.0 must be in (0, 1]" in result.output
    assert not (tmp_path / "s").exists()


def _resize(mask: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    image = Image.fromarray(mask.astype(np.uint8) * 255).resize((shape[1], shape[0]), 0)
    return np.asarray(image) > 0
