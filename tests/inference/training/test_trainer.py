"""The training loop: resumption gives the uninterrupted result; schedule; refusals."""

import itertools
from pathlib import Path

import pytest
import torch

from inference.errors import TrainingError
from inference.model import ModelConfig, build_model, load_model
from inference.training import (
    SilentReporter,
    Split,
    Trainer,
    TrainingHistory,
    learning_rate,
    load_checkpoint,
    split_slides,
)
from inference.training.trainer import training_memory_format
from tests.inference.training.fixtures import TINY, prepared_set, tiny_options


class InterruptAt(SilentReporter):
    """Ctrl-C right after a given step."""

    def __init__(self, step: int) -> None:
        self.step = step

    def stepped(self, step: int, loss: float, learning_rate: float) -> None:
        if step == self.step:
            raise KeyboardInterrupt


class Recorder(SilentReporter):
    def __init__(self) -> None:
        self.events: list[tuple[str, int]] = []

    def stepped(self, step: int, loss: float, learning_rate: float) -> None:
        self.events.append(("step", step))

    def validated(self, step: int, figures: dict[str, float]) -> None:
        self.events.append(("validation", step))

    def checkpointed(self, step: int, path: Path, history: TrainingHistory) -> None:
        self.events.append(("checkpoint", step))


@pytest.fixture(scope="module")
def split() -> Split:
    return split_slides(prepared_set(), 0.5, seed=0)


def test_an_interrupted_and_resumed_run_equals_an_uninterrupted_one(
    split: Split, tmp_path: Path
) -> None:
    options = tiny_options()
    straight = Trainer(split, TINY, options, tmp_path / "straight").run()
    with pytest.raises(KeyboardInterrupt):
        Trainer(split, TINY, options, tmp_path / "stopped").run(InterruptAt(3))
    assert load_checkpoint(tmp_path / "stopped" / "checkpoint.pt").step == 3
    resumed = Trainer(split, TINY, options, tmp_path / "stopped")
    assert resumed.resume() and resumed.step == 3
    result = resumed.run()
    first, second = load_checkpoint(straight.checkpoint), load_checkpoint(result.checkpoint)
    assert second.step == first.step == 6
    assert first.model.keys() == second.model.keys()
    for key in first.model:
        assert torch.equal(first.model[key], second.model[key]), key
    assert second.history.losses == first.history.losses
    assert second.history.validations == first.history.validations
    assert result.sha256 == straight.sha256


def test_the_run_writes_weights_that_load_for_inference(split: Split, tmp_path: Path) -> None:
    recorder = Recorder()
    result = Trainer(split, TINY, tiny_options(steps=4), tmp_path).run(recorder)
    loaded = load_model(result.weights)
    assert loaded.config == TINY and loaded.sha256 == result.sha256
    assert ("validation", 2) in recorder.events and ("validation", 4) in recorder.events
    assert recorder.events[-1] == ("checkpoint", 4)
    assert len(result.history.losses) == 4
    assert all(0 <= entry["dice"] <= 1 for entry in result.history.validations)


def test_different_seeds_give_different_runs(split: Split, tmp_path: Path) -> None:
    one = Trainer(split, TINY, tiny_options(steps=2, seed=1), tmp_path / "one").run()
    two = Trainer(split, TINY, tiny_options(steps=2, seed=2), tmp_path / "two").run()
    assert one.history.losses != two.history.losses


def test_resuming_with_other_data_options_is_refused(split: Split, tmp_path: Path) -> None:
    Trainer(split, TINY, tiny_options(steps=2), tmp_path).run()
    other = Trainer(split, TINY, tiny_options(steps=2, batch_size=3), tmp_path)
    with pytest.raises(TrainingError, match="batch_size 2 -> 3"):
        other.resume()


def test_narrow_models_train_in_nchw_on_the_cpu_and_others_in_nhwc() -> None:
    # torch's CPU NHWC weight gradient of a 1x1 stride-2 convolution with fewer than 8 input
    # channels is wrong (and can hang); TINY (width 4) has one, in layer 2's downsample.
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    tiny = build_model(TINY)
    assert training_memory_format(tiny, cpu) == torch.contiguous_format
    assert training_memory_format(tiny, cuda) == torch.channels_last
    demo_width = ModelConfig.for_stride(8, depth=18, width=16, aspp_channels=8)
    assert training_memory_format(build_model(demo_width), cpu) == torch.channels_last


def test_learning_rate_warms_up_then_decays_to_zero() -> None:
    options = tiny_options(steps=100, warmup_steps=10, learning_rate=1e-3)
    rates = [learning_rate(options, step) for step in range(100)]
    assert rates[0] == pytest.approx(1e-4) and rates[9] == pytest.approx(1e-3)
    assert all(a >= b for a, b in itertools.pairwise(rates[9:]))
    assert learning_rate(options, 100) == pytest.approx(0.0, abs=1e-12)


def test_training_needs_training_slides(tmp_path: Path) -> None:
    empty = split_slides([], 0.2, 0)
    with pytest.raises(TrainingError, match="no training slides"):
        Trainer(empty, TINY, tiny_options(), tmp_path)


@pytest.mark.gpu
@pytest.mark.parametrize("precision", ["auto", "float16"])
def test_mixed_precision_training_on_cuda(split: Split, tmp_path: Path, precision: str) -> None:
    options = tiny_options(steps=3, device="cuda", precision=precision)
    trainer = Trainer(split, TINY, options, tmp_path)
    assert trainer.precision in (torch.bfloat16, torch.float16)
    assert (trainer.scaler is not None) == (trainer.precision == torch.float16)
    result = trainer.run()
    assert all(torch.isfinite(torch.tensor(result.history.losses)))
    assert load_model(result.weights).config == TINY
