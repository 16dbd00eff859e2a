"""Small slides and models made in code for the engine's tests."""

import numpy as np
import torch
from torch import nn

from inference.engine import Engine, EngineOptions
from inference.memory_source import ArraySource
from inference.model import DeepLabV3, LoadedModel, ModelConfig, build_model
from inference.quality import QualityParameters
from inference.results import SlideInference
from inference.tissue import TissueParameters

SPACING = 0.476
TINY = ModelConfig.for_stride(8, depth=18, width=8, aspp_channels=16)
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def tissue_image(height: int, width: int, seed: int = 0) -> np.ndarray:
    """White glass with an ellipse of smooth pink-purple 'tissue' in the middle."""
    rng = np.random.default_rng(seed)
    image = np.full((height, width, 3), 236, dtype=np.uint8)
    rows, cols = np.mgrid[:height, :width]
    inside = ((rows - height / 2) / (height * 0.4)) ** 2 + (
        (cols - width / 2) / (width * 0.4)
    ) ** 2 < 1
    coarse = rng.random((height // 8 + 2, width // 8 + 2, 3))
    smooth = np.kron(coarse, np.ones((8, 8, 1)))[:height, :width]
    tissue = (np.array([150, 80, 140]) + 60 * smooth).astype(np.uint8)
    image[inside] = tissue[inside]
    return image


def slide(height: int = 300, width: int = 400, levels: int = 4, seed: int = 0) -> ArraySource:
    """An in-memory slide at the analysis spacing with a 2x pyramid."""
    return ArraySource.pyramid(tissue_image(height, width, seed), SPACING, levels)


def loaded(module: nn.Module, config: ModelConfig = TINY) -> LoadedModel:
    return LoadedModel(module=module.eval(), config=config, sha256=None)


def tiny_deeplab(seed: int = 0) -> LoadedModel:
    torch.manual_seed(seed)
    model = build_model(TINY)
    # Random batch statistics, so that the output is not flat.
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            assert module.running_mean is not None and module.running_var is not None
            module.running_mean.uniform_(-0.1, 0.1)
            module.running_var.uniform_(0.5, 1.5)
    return loaded(model)


def options(**overrides: object) -> EngineOptions:
    values: dict[str, object] = {
        "tile_size": 96,
        "tile_keep": 64,
        "batch_size": 3,
        "top_k": 50,
        "device": "cpu",
        "reader_threads": 2,
        "map_spacing_um": 4 * SPACING,
        # These slides are a fraction of a millimetre: clean at the scale of their pixels.
        "tissue": TissueParameters(opening_um=2.0, closing_um=4.0, min_area_mm2=1e-4),
        # The engine's own tests; tests/inference/test_engine_quality.py turns the gate on.
        "quality": QualityParameters(enabled=False),
    }
    values.update(overrides)
    return EngineOptions(**values)  # type: ignore[arg-type]


def engine(model: LoadedModel, **overrides: object) -> Engine:
    return Engine(model, options(**overrides))


class ConstantModel(nn.Module):
    """The same logit everywhere."""

    def __init__(self, logit: float) -> None:
        super().__init__()
        self.logit = logit

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = (x.shape[0], 1, *x.shape[2:])
        return torch.full(shape, self.logit, dtype=x.dtype, device=x.device)


class LocalModel(nn.Module):
    """Three 5x5 convolutions: a smooth function of the pixels within 6 px (less than a margin)."""

    def __init__(self, seed: int = 0) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.layers = nn.Sequential(
            nn.Conv2d(3, 4, 5, padding=2),
            nn.Tanh(),
            nn.Conv2d(4, 4, 5, padding=2),
            nn.Tanh(),
            nn.Conv2d(4, 1, 5, padding=2),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self.layers(x)
        return logits


# How far two probability maps of `strong_model` may lie apart: CUDA float32 without TF32
# against the CPU (rounding order only), and bfloat16 against float32 (0.017 measured under
# the CPU's bfloat16 autocast; a channel swap or a dropped normalisation moves it by > 0.9).
FLOAT32_ATOL = 1e-4
BFLOAT16_ATOL = 0.05


class StrongModel(nn.Module):
    """A tiny DeepLab plus a 5x5 colour filter, both scaled so that probabilities over the
    tissue of `slide` spread across 0..1: a swapped channel, a dropped normalisation or a
    transposed tile changes the output far beyond the tolerances above."""

    def __init__(self, seed: int = 0, spread: float = 2.0) -> None:
        super().__init__()
        deeplab = tiny_deeplab(seed).module
        assert isinstance(deeplab, DeepLabV3)
        self.deeplab = deeplab
        torch.manual_seed(seed)
        self.pixels = nn.Conv2d(3, 1, 5, padding=2)
        image = tissue_image(300, 400, seed)
        tissue = torch.from_numpy((image != 236).any(axis=2))
        head = self.deeplab.classifier[-1]
        assert isinstance(head, nn.Conv2d) and head.bias is not None
        with torch.no_grad():
            x = normalise(image)
            _standardise(head.weight, head.bias, self.deeplab(x)[0, 0][tissue], 1.0)
            assert self.pixels.bias is not None
            _standardise(self.pixels.weight, self.pixels.bias, self.pixels(x)[0, 0][tissue], spread)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self.deeplab(x) + self.pixels(x)
        return logits


def _standardise(
    weight: torch.Tensor, bias: torch.Tensor, output: torch.Tensor, std: float
) -> None:
    """Rescale a 1-output convolution so that `output` would have mean 0 and deviation `std`."""
    factor = std / output.std()
    weight.mul_(factor)
    bias.sub_(output.mean()).mul_(factor)


def strong_model(seed: int = 0) -> LoadedModel:
    return loaded(StrongModel(seed))


def map_difference(first: SlideInference, second: SlideInference) -> float:
    """The largest difference between two results' probability maps (same tiles required)."""
    assert np.array_equal(first.tile_origins, second.tile_origins)
    a, b = first.probability_map.probabilities, second.probability_map.probabilities
    return float(np.abs(a - b).max())


def normalise(image: np.ndarray) -> torch.Tensor:
    """The engine's normalisation of an RGB uint8 image, as a (1, 3, H, W) tensor."""
    tensor = torch.from_numpy(image).permute(2, 0, 1).float()[None]
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    return (tensor / 255 - mean) / std


def analysed_mask(shape: tuple[int, int], origins: np.ndarray, keep: int) -> np.ndarray:
    """Pixels inside the kept areas of the analysed tiles."""
    mask = np.zeros(shape, dtype=bool)
    for x, y in origins:
        mask[y : y + keep, x : x + keep] = True
    return mask
