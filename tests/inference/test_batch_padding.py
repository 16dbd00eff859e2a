"""On the CPU the last partial batch is not padded: every forward is a real tile's."""

import numpy as np
import torch
from torch import nn

from inference.memory_source import ArraySource
from tests.inference.fixtures import SPACING, engine, loaded

KEEP = 64


class ForwardLog:
    """Tiles (batch rows) and batches forwarded; shared by every replica's copy of the model."""

    def __init__(self) -> None:
        self.tiles = 0
        self.batches = 0

    def __deepcopy__(self, memo: dict[int, object]) -> "ForwardLog":
        return self


class CountingModel(nn.Module):
    """A constant logit everywhere; logs what it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.log = ForwardLog()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.log.tiles += x.shape[0]
        self.log.batches += 1
        return torch.zeros((x.shape[0], 1, *x.shape[2:]), dtype=x.dtype)


def thirteen_tile_slide() -> ArraySource:
    """Glass with a band of tissue inside the first 13 tiles of the top row of 16 x 2."""
    rng = np.random.default_rng(0)
    image = np.full((2 * KEEP, 16 * KEEP, 3), 236, dtype=np.uint8)
    texture = np.array([150, 80, 140]) + 60 * rng.random((KEEP - 16, 13 * KEEP - 16, 3))
    image[8 : KEEP - 8, 8 : 13 * KEEP - 8] = texture.astype(np.uint8)
    return ArraySource.pyramid(image, SPACING, 3)


def test_thirteen_tiles_run_thirteen_forwards_on_the_cpu() -> None:
    model = CountingModel()
    run = engine(loaded(model), batch_size=4, tile_keep=KEEP)
    assert not run.fixed_shapes
    result = run.run(thirteen_tile_slide())
    assert result.statistics.tiles == 13
    assert model.log.tiles == 13
    assert model.log.batches == 4


def test_compiled_models_get_fixed_batch_shapes() -> None:
    assert engine(loaded(CountingModel()), compile=True).fixed_shapes
