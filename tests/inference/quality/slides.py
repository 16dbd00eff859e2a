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


# Optical density per unit of ink (red, green, blue): each ink passes its own colour.
INKS = {
    "blue": (0.85, 0.55, 0.10),
    "green": (0.80, 0.22, 0.62),
    "black": (0.95, 0.95, 0.90),
    "red": (0.10, 0.85, 0.65),
}
GLASS = 245.0


def band(shape: tuple[int, ...], half_width_um: float, slope: float = 0.3) -> np.ndarray:
    """A straight stroke through the middle of the slide (bool, finest level's grid)."""
    rows, cols = np.indices(shape[:2])
    middle_row, middle_col = shape[0] / 2, shape[1] / 2
    distance = np.abs((rows - middle_row) - slope * (cols - middle_col)) / np.hypot(1, slope)
    return np.asarray(distance * SPACING_UM <= half_width_um, dtype=bool)


def disc(shape: tuple[int, ...], centre_um: tuple[float, float], radius_um: float) -> np.ndarray:
    rows, cols = np.indices(shape[:2])
    x, y = (c / SPACING_UM for c in centre_um)
    return np.asarray(np.hypot(rows - y, cols - x) * SPACING_UM <= radius_um, dtype=bool)


def _light(image: np.ndarray) -> np.ndarray:
    return image.astype(np.float32) / GLASS


def _pixels(light: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(light * GLASS), 0, 255).astype(np.uint8)


def inked(image: np.ndarray, where: np.ndarray, ink: str, density: float) -> np.ndarray:
    """Marker ink over tissue and glass alike: the light is multiplied by the ink's transmission."""
    light = _light(image)
    transmission = np.power(10.0, -np.asarray(INKS[ink], np.float32) * density)
    light[where] *= transmission
    return _pixels(light)


def folded(image: np.ndarray, where: np.ndarray, extra: float) -> np.ndarray:
    """Tissue lying on itself: its density (1 + extra) times, so darker and more saturated."""
    light = np.clip(_light(image), 1e-3, 1.0)
    light[where] = np.power(light[where], 1.0 + extra)
    return _pixels(light)


def bubbled(
    image: np.ndarray, centre_um: tuple[float, float], radius_um: float, wash: float
) -> np.ndarray:
    """Air under the coverslip: the inside washed out towards white, a thin dark rim."""
    light = _light(image)
    rows, cols = np.indices(image.shape[:2])
    x, y = (c / SPACING_UM for c in centre_um)
    distance_um = np.hypot(rows - y, cols - x) * SPACING_UM
    inside = distance_um <= radius_um
    light[inside] += (1.0 - light[inside]) * wash
    rim = np.exp(-(((distance_um - radius_um) / 6.0) ** 2)).astype(np.float32)
    light *= (1.0 - 0.6 * rim)[..., None]
    return _pixels(light)
