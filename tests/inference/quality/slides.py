"""Small synthetic slides for the quality gate's tests, clean or with an artefact painted in."""

import functools

import numpy as np
from scipy import ndimage

from inference.memory_source import ArraySource
from inference.synthetic import SlideKind, make_layout, render_region
from inference.tissue import TissueMask, TissueParameters, detect_tissue, read_thumbnail

SPACING_UM = 0.5
WIDTH_UM, HEIGHT_UM = 2_000.0, 1_500.0
THUMBNAIL_UM = 16.0
# What the pipeline uses on a real slide; these slides are a few millimetres only.
TISSUE = TissueParameters(thumbnail_spacing_um=THUMBNAIL_UM, min_thumbnail_side=64)


@functools.cache
def _rendered(kind: SlideKind, seed: int) -> np.ndarray:
    layout = make_layout(kind, seed, WIDTH_UM, HEIGHT_UM)
    width, height = round(WIDTH_UM / SPACING_UM), round(HEIGHT_UM / SPACING_UM)
    image = render_region(layout, SPACING_UM, 0, 0, width, height)
    image.setflags(write=False)
    return image


def rendered(kind: SlideKind, seed: int) -> np.ndarray:
    """The slide's finest level (a copy, free to paint on)."""
    return _rendered(kind, seed).copy()


def source(image: np.ndarray) -> ArraySource:
    """A pyramid from `image` (at SPACING_UM) down to the thumbnail's spacing."""
    return ArraySource.pyramid(image, SPACING_UM, 6)


def tissue_of(slide: ArraySource) -> TissueMask:
    thumbnail = read_thumbnail(slide, TISSUE.thumbnail_spacing_um, TISSUE.min_thumbnail_side)
    return detect_tissue(thumbnail, TISSUE)


def defocused(image: np.ndarray, sigma_um: float, where: np.ndarray | None = None) -> np.ndarray:
    """`image` out of focus (a Gaussian point spread) where `where` is True (everywhere: None)."""
    sigma = sigma_um / SPACING_UM
    planes = [ndimage.gaussian_filter(image[..., c].astype(np.float32), sigma) for c in range(3)]
    blurred = np.clip(np.rint(np.stack(planes, axis=-1)), 0, 255).astype(np.uint8)
    if where is None:
        return blurred
    return np.where(where[..., None], blurred, image)


def upsampled(mask: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A thumbnail mask on the finest level's grid (nearest thumbnail pixel)."""
    factor = round(THUMBNAIL_UM / SPACING_UM)
    big = np.repeat(np.repeat(mask, factor, axis=0), factor, axis=1)
    out = np.zeros(shape[:2], dtype=bool)
    rows, cols = min(shape[0], big.shape[0]), min(shape[1], big.shape[1])
    out[:rows, :cols] = big[:rows, :cols]
    return out
