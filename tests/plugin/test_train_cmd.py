"""`pathsentry train` on small DICOM slides with QuPath GeoJSON annotations."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from inference.model import ModelConfig, build_model, load_model, save_weights
from plugin.cli import app
from tests.plugin.annotated import write_annotated_slide

TINY = ["--depth", "18", "--width", "4", "--aspp-channels", "8", "--output-stride", "16"]
FAST = {
    "PATHSENTRY_TRAINING__PATCH_SIZE": "64",
    "PATHSENTRY_TRAINING__BATCH_SIZE": "2",
    "PATHSENTRY_TRAINING__VALIDATION_PATCHES": "4",
    "PATHSENTRY_TRAINING__VALIDATE_EVERY": "2",
    "PATHSENTRY_TRAINING__WARMUP_STEPS": "1",
    "PATHSENTRY_TRAINING__WORKERS": "2",
    "PATHSENTRY_TRAINING__DEVICE": "cpu",
}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dataset")
    for seed in range(4):
        write_annotated_slide(root / f"slide-{seed}", seed, malignant=seed < 2)
    return root


def train(dataset: Path, out: Path, *extra: str) -> dict[str, object]:
    arguments = ["train", str(dataset), "--out", str(out), "--unannotated", "benign", *TINY]
    result = CliRunner().invoke(app, [*arguments, *extra, "--json"], env=FAST)
    assert result.exit_code == 0, result.output
    summary: dict[str, object] = json.loads(result.stdout)
    return summary


def test_train_writes_weights_checkpoint_history_and_loss_curve(
    dataset: Path, tmp_path: Path
) -> None:
    summary = train(
        dataset, tmp_path / "run", "--steps", "4", "--name", "tiny-demo", "--atrous-rates", "1,2,3"
    )
    for key in ("weights", "checkpoint", "history", "loss_curve"):
        assert Path(str(summary[key])).is_file(), key
    assert summary["steps"] == 4 and summary["resumed"] is False
    assert len(summary["validation_slides"]) == 2  # type: ignore[arg-type]
    loaded = load_model(Path(str(summary["weights"])))
    assert (loaded.config.depth, loaded.config.width, loaded.config.output_stride) == (18, 4, 16)
    assert loaded.config.name == "tiny-demo" and loaded.sha256 == summary["sha256"]
    assert loaded.config.atrous_rates == (1, 2, 3)
    history = json.loads(Path(str(summary["history"])).read_text())
    assert history["steps"] == [1, 2, 3, 4] and len(history["validations"]) == 2


def test_a_run_goes_on_only_when_asked_to_resume(dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    train(dataset, out, "--steps", "2")
    refused = CliRunner().invoke(app, ["train", str(dataset), "--out", str(out), *TINY], env=FAST)
    assert refused.exit_code != 0 and "--resume" in str(refused.exception)
    summary = train(dataset, out, "--steps", "3", "--resume")
    assert summary["resumed"] is True and summary["steps"] == 3
    assert json.loads(Path(str(summary["history"])).read_text())["steps"] == [1, 2, 3]


def test_fine_tuning_takes_the_architecture_of_the_initial_weights(
    dataset: Path, tmp_path: Path
) -> None:
    config = ModelConfig.for_stride(16, depth=18, width=4, aspp_channels=8, num_classes=3)
    initial = tmp_path / "initial.safetensors"
    save_weights(build_model(config), config, initial)
    arguments = ["train", str(dataset), "--out", str(tmp_path / "run"), "--unannotated", "benign"]
    result = CliRunner().invoke(
        app, [*arguments, "--init", str(initial), "--steps", "1", "--json"], env=FAST
    )
    assert result.exit_code == 0, result.output
    loaded = load_model(Path(json.loads(result.stdout)["weights"]))
    assert loaded.config.num_classes == 1 and loaded.config.width == 4


def test_unknown_annotation_classes_are_named(tmp_path: Path) -> None:
    folder = write_annotated_slide(tmp_path / "data" / "slide", 0, malignant=True)
    (folder / "truth" / "annotations.geojson").write_text(
        (folder / "truth" / "annotations.geojson").read_text().replace("Tumor", "Glands")
    )
    result = CliRunner().invoke(
        app, ["train", str(tmp_path / "data"), "--out", str(tmp_path / "run")], env=FAST
    )
    assert result.exit_code != 0
    assert "'Glands'" in str(result.exception) and "--class" in str(result.exception)


def test_atrous_rates_must_be_three_positive_integers(dataset: Path, tmp_path: Path) -> None:
    arguments = ["train", str(dataset), "--out", str(tmp_path / "run"), "--atrous-rates", "2,4"]
    result = CliRunner().invoke(app, arguments, env=FAST)
    assert result.exit_code != 0 and "three positive integers" in str(result.exception)
