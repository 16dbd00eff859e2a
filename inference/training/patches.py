"""Training patches: where they are drawn, balanced between classes, and how they are read.

Patches are read as the engine reads its tiles (the same level choice, window and
resampling), so the model learns from exactly the pixels it will see at inference.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from inference.reading import read_window_into
from inference.resampling import resample
from inference.tiling import Point, Region, Size, Tile, TileLayout, read_side, read_window
from inference.training.labels import PixelLabel
from inference.training.regions import RasterGrid
from inference.training.slides import SAMPLED_LABELS, SAMPLING_SPACING_UM, PreparedSlide


@dataclass(frozen=True)
class PatchSpec:
    """A patch to read: a slide (index) and the patch's top-left pixel on its analysis grid."""

    slide: int
    x: int
    y: int


@dataclass(frozen=True)
class Patch:
    """RGB pixels (size, size, 3 uint8) and their labels (size, size uint8 PixelLabel)."""

    pixels: np.ndarray
    labels: np.ndarray


def draw_patches(
    slides: Sequence[PreparedSlide],
    rng: np.random.Generator,
    count: int,
    size: int,
    malignant_fraction: float,
) -> list[PatchSpec]:
    """`count` patch positions centred on tissue; each malignant with `malignant_fraction`.

    Within a class, every sampling pixel of every slide is equally likely, so large
    slides give more patches; when a class is absent from every slide, the other is drawn.
    """
    totals = {
        label: np.array([len(slide.centres[label]) for slide in slides]) for label in SAMPLED_LABELS
    }
    specs = []
    for _ in range(count):
        malignant = rng.random() < malignant_fraction
        label = PixelLabel.MALIGNANT if malignant else PixelLabel.BENIGN
        if totals[label].sum() == 0:
            label = PixelLabel.BENIGN if malignant else PixelLabel.MALIGNANT
        specs.append(_draw_one(slides, totals[label], label, rng, size))
    return specs


def _draw_one(
    slides: Sequence[PreparedSlide],
    totals: np.ndarray,
    label: PixelLabel,
    rng: np.random.Generator,
    size: int,
) -> PatchSpec:
    pick = int(rng.integers(totals.sum()))
    index = int(np.searchsorted(np.cumsum(totals), pick, side="right"))
    slide = slides[index]
    row, col = slide.centres[label][pick - int(totals[:index].sum())]
    jitter = rng.random(2)
    centre_x = (col + jitter[0]) * SAMPLING_SPACING_UM / slide.grid.spacing_um
    centre_y = (row + jitter[1]) * SAMPLING_SPACING_UM / slide.grid.spacing_um
    return PatchSpec(index, round(centre_x - size / 2), round(centre_y - size / 2))


def read_patch(slide: PreparedSlide, spec: PatchSpec, size: int) -> Patch:
    """A patch's pixels on the analysis grid (white beyond the slide) and its labels."""
    grid = slide.grid
    layout = TileLayout(size, size)
    tile = Tile(0, Region(Point(spec.x, spec.y), Size(size, size)))
    window = read_window(grid, layout, tile)
    side = read_side(grid, layout)
    level = slide.slide.source.levels[grid.level]
    buffer = np.empty((side, side, 3), dtype=np.uint8)
    what = f"a training patch of slide {slide.slide.name}"
    bounds = Size(level.width, level.height)
    read_window_into(slide.slide.source, grid.level, window.region, bounds, buffer, what)
    pixels = buffer if not grid.resampled else _resampled(buffer, window.offset, slide, size)
    raster = RasterGrid(
        spec.x * grid.spacing_um, spec.y * grid.spacing_um, grid.spacing_um, size, size
    )
    return Patch(pixels, slide.labels(raster))


def _resampled(
    window: np.ndarray, offset: tuple[float, float], slide: PreparedSlide, size: int
) -> np.ndarray:
    grid = slide.grid
    tensor = torch.from_numpy(window).permute(2, 0, 1).float()[None]
    offsets = torch.tensor([offset], dtype=torch.float64)
    tile = resample(tensor, offsets, grid.scale, grid.prefilter, size)
    return tile[0].permute(1, 2, 0).round().clamp(0, 255).to(torch.uint8).numpy()
