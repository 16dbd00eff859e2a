"""The validation split holds out whole slides of each kind; checkpoints round-trip."""

from pathlib import Path

import torch

from inference.training import Checkpoint, TrainingHistory, load_checkpoint, split_slides
from inference.training.checkpoint import save_checkpoint
from tests.inference.training.fixtures import TINY, annotated_slide, prepared, prepared_set


def test_split_holds_out_slides_of_each_kind_reproducibly() -> None:
    slides = prepared_set()
    split = split_slides(slides, 0.5, seed=0)
    assert split.names() == split_slides(slides, 0.5, seed=0).names()
    assert len(split.training) == 2 and len(split.validation) == 2
    assert {slide.has_malignant for slide in split.validation} == {True, False}
    assert {slide.has_malignant for slide in split.training} == {True, False}


def test_a_lone_slide_of_a_kind_always_trains() -> None:
    slides = [prepared(annotated_slide(0, True)), *prepared_set()[2:]]
    split = split_slides(slides, 0.9, seed=1)
    assert [slide.slide.name for slide in split.training if slide.has_malignant] == ["malignant-0"]
    assert len(split.validation) == 1
    assert not split_slides(slides, 0.0, seed=1).validation


def test_checkpoint_round_trip_is_atomic(tmp_path: Path) -> None:
    history = TrainingHistory([1, 2], [0.5, 0.4], [1e-3, 1e-3], [{"step": 2.0, "loss": 0.4}], 3.5)
    checkpoint = Checkpoint(
        step=2,
        model={"weight": torch.arange(4.0)},
        optimizer={"state": {0: {"exp_avg": torch.ones(2)}}, "param_groups": [{"lr": 1e-3}]},
        scaler=None,
        config=TINY,
        resume_key={"seed": 0},
        split={"training": ["a"], "validation": []},
        history=history,
    )
    path = tmp_path / "run" / "checkpoint.pt"
    save_checkpoint(path, checkpoint)
    loaded = load_checkpoint(path)
    assert [p.name for p in path.parent.iterdir()] == ["checkpoint.pt"]
    assert loaded.step == 2 and loaded.config == TINY and loaded.history == history
    assert torch.equal(loaded.model["weight"], torch.arange(4.0))
    assert torch.equal(loaded.optimizer["state"][0]["exp_avg"], torch.ones(2))
