"""Inference numerics: folded BatchNorm, float32 upsampling of the logits, TF32 by precision."""

from collections.abc import Iterator

import pytest
import torch
from torch import nn

from inference.model import ModelConfig, build_model, fold_batch_norm
from tests.inference.fixtures import engine, tiny_deeplab


@pytest.fixture
def tf32_flags() -> Iterator[None]:
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    yield
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


@pytest.mark.parametrize("depth", [18, 50])
def test_folded_model_gives_the_same_logits_without_batch_norm(depth: int) -> None:
    config = ModelConfig.for_stride(8, depth=depth, width=8, aspp_channels=16)
    torch.manual_seed(0)
    model = build_model(config)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            assert module.running_mean is not None and module.running_var is not None
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.3, 2.0)
            nn.init.uniform_(module.weight, 0.5, 1.5)
            nn.init.uniform_(module.bias, -0.2, 0.2)
    tiles = torch.rand(2, 3, 72, 88)
    with torch.inference_mode():
        expected = model(tiles)
        folded = fold_batch_norm(model)
        logits = folded(tiles)
    assert not any(isinstance(module, nn.BatchNorm2d) for module in folded.modules())
    assert (logits - expected).abs().max() < 1e-4


def test_folding_refuses_a_model_in_training_mode() -> None:
    with pytest.raises(ValueError, match="evaluation mode"):
        fold_batch_norm(build_model(ModelConfig(depth=18, width=4, aspp_channels=4)).train())


def test_logits_are_upsampled_in_float32_under_autocast() -> None:
    model = tiny_deeplab().module
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
        logits = model(torch.rand(1, 3, 64, 64))
    assert logits.dtype == torch.float32


@pytest.mark.usefixtures("tf32_flags")
def test_float32_precision_turns_tf32_off_and_half_precision_on() -> None:
    engine(tiny_deeplab(), precision="float32")
    assert not torch.backends.cuda.matmul.allow_tf32 and not torch.backends.cudnn.allow_tf32
    engine(tiny_deeplab(), precision="bfloat16")
    assert torch.backends.cuda.matmul.allow_tf32 and torch.backends.cudnn.allow_tf32
