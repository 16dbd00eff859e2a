"""`pathsentry infer` on a small DICOM slide written in the test, and `pathsentry bench`."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from inference.errors import NoWeightsError
from inference.model import ModelConfig, build_model, save_weights
from plugin.cli import app
from tests.dicom.wsm_files import write_pyramid
from tests.inference.fixtures import tissue_image

SMALL_TILES = {
    "PATHSENTRY_INFERENCE__TILE_SIZE": "96",
    "PATHSENTRY_INFERENCE__TILE_KEEP": "64",
    "PATHSENTRY_INFERENCE__TOP_K": "100",
    "PATHSENTRY_INFERENCE__DEVICE": "cpu",
}


@pytest.fixture
def slide_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "slide-1"
    # 0.5 um/px: within 10% of 0.476, so level 0 is analysed as it is.
    write_pyramid(folder, tissue_image(1200, 1500), spacing_um=0.5, levels=6, tile=128)
    return folder


@pytest.fixture
def weights(tmp_path: Path) -> Path:
    config = ModelConfig.for_stride(
        8, depth=18, width=8, aspp_channels=16, name="tiny", version="7"
    )
    path = tmp_path / "tiny.safetensors"
    save_weights(build_model(config), config, path)
    return path


def test_infer_prints_one_json_object_and_writes_the_map(
    slide_dir: Path, weights: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    arguments = ["infer", str(slide_dir), "--weights", str(weights), "--json"]
    result = CliRunner().invoke(app, arguments, env=SMALL_TILES)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert 0 < summary["score"] < 1
    assert summary["evaluable"] is True
    assert summary["tiles"] > 0 and summary["tissue_area_mm2"] > 0.1
    analysis = {"level": 0, "spacing_um": 0.5, "resampled": False, "decode_reduction": 1}
    assert summary["analysis"] == analysis
    assert summary["map"]["level"] == 4  # 8 um/px: the level nearest map_spacing_um
    assert summary["model"]["name"] == "tiny" and len(summary["model"]["sha256"]) == 64
    assert set(summary["timings_s"]) >= {"tissue", "inference", "total", "reading", "starved"}
    assert summary["timings_s"]["quality"] > 0  # the quality gate ran (settings' default)
    assert set(summary["quality"]) == {"findings", "warning"}
    assert summary["timings_s"]["reading"] > 0 and summary["timings_s"]["starved"] >= 0
    probability_map = np.load(summary["paths"]["map"])
    assert probability_map.shape == (1200 // 16, 1500 // 16)
    assert Path(summary["paths"]["map"]).parent == tmp_path / "out" / "slide-1"
    assert json.loads(Path(summary["paths"]["result"]).read_text()) == summary
    with Image.open(summary["paths"]["overlay"]) as overlay:
        assert overlay.mode == "RGB" and overlay.size[0] > 0


def test_infer_on_glass_reports_not_evaluable(weights: Path, tmp_path: Path) -> None:
    folder = tmp_path / "glass"
    write_pyramid(folder, np.full((600, 600, 3), 236, dtype=np.uint8), 0.5, levels=4, tile=128)
    arguments = ["infer", str(folder), "--weights", str(weights), "--json", "--out", str(tmp_path)]
    result = CliRunner().invoke(app, arguments, env=SMALL_TILES)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["evaluable"] is False and summary["score"] is None
    assert "not evaluable" in summary["reason"]


def test_infer_without_weights_says_how_to_provide_them(
    slide_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("inference.model.bundled.bundled_weights", lambda: None)
    env = {**SMALL_TILES, "PATHSENTRY_INFERENCE__WEIGHTS": ""}
    result = CliRunner().invoke(app, ["infer", str(slide_dir)], env=env)
    assert isinstance(result.exception, NoWeightsError)
    assert "--weights" in str(result.exception)


def test_bench_reads_a_slide_from_its_files(slide_dir: Path, weights: Path, tmp_path: Path) -> None:
    arguments = ["bench", "--slide", str(slide_dir), "--device", "cpu", "--repeats", "1"]
    env = {**SMALL_TILES, "PATHSENTRY_INFERENCE__WEIGHTS": str(weights)}
    result = CliRunner().invoke(app, [*arguments, "--out", str(tmp_path), "--json"], env=env)
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["source"] == "DICOM files in slide-1"
    assert figures["tile_size"] == 96 and figures["model"].startswith("tiny")
    assert figures["tiles"] > 0 and figures["efficiency"] > 0
    assert figures["forwarded_tiles"] == figures["tiles"]  # no filler on the CPU
    assert figures["tissue_megapixels_per_s"] > 0 and figures["engine_tflops"] > 0
    assert figures["reading_megapixels_per_core_s"] > 0 and figures["cores_per_h100"] > 0
    assert figures["reading_s"] > 0 and figures["starved_s"] >= 0
    assert Path(figures["path"]).name.endswith("-demo.json")
    assert json.loads(Path(figures["path"]).read_text())["tiles"] == figures["tiles"]


@pytest.mark.slow
def test_bench_makes_a_synthetic_40x_only_slide_and_decodes_it_at_half_size(
    weights: Path, tmp_path: Path
) -> None:
    arguments = ["bench", "--device", "cpu", "--repeats", "1", "--forty-x-only"]
    arguments += ["--width-mm", "0.6", "--height-mm", "0.5", "--out", str(tmp_path), "--json"]
    env = {**SMALL_TILES, "PATHSENTRY_INFERENCE__WEIGHTS": str(weights)}
    result = CliRunner().invoke(app, arguments, env=env)
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert "40x only" in figures["source"]
    assert (figures["decode_reduction"], figures["resampled"]) == (2, False)
