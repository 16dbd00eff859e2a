"""The coverslip's edge on the thumbnail: a dark straight line, paler air beyond it.

Tissue's own dark lines and borders stay in the tissue; the edge is one line straight across
the slide, glass included. The share of dark-line pixels over the glass along every straight
line (a Radon transform, by angle and distance from the corner), minus that of the lines
beside it, is high only there. Tissue on the brighter side of the edge lies under air.
"""

import math

import numpy as np

from inference.quality.bubbles import line_strength
from inference.tissue import TissueMask, grey_levels

_ANGLE_STEP_DEGREES = 2.0
# Lines beside the one measured, in pixels either side (the edge itself is about one wide).
_BESIDE = (2, 4)
# The share of a line's glass pixels that must be darker than both sides, more than beside it.
_MIN_COVER = 0.35
# Grey levels compared on each side, this many pixels from the edge.
_SIDE_PIXELS = 6


def coverslip_mask(
    tissue: TissueMask, min_length_um: float, rim_contrast: float, brightening: float
) -> np.ndarray:
    """The slide beyond a coverslip edge (the paler side), or nothing when there is none;
    the edge must cross at least `min_length_um` of glass."""
    grey = grey_levels(tissue.thumbnail.image).astype(np.float32)
    glass = ~tissue.mask
    # Pixels of glass on a dark line: the edge covers most of its length, an arc only a bit.
    on_line = (line_strength(grey) > rim_contrast) & glass
    grid = np.indices(grey.shape)
    rows, cols = grid[0], grid[1]
    min_pixels = min_length_um / tissue.spacing_um
    best: tuple[float, np.ndarray, int] | None = None
    for degrees in np.arange(0.0, 180.0, _ANGLE_STEP_DEGREES):
        angle = math.radians(float(degrees))
        distance = np.rint(cols * math.cos(angle) + rows * math.sin(angle)).astype(np.int64)
        distance -= int(distance.min())
        counts = np.bincount(distance.ravel(), glass.ravel())
        cover = np.bincount(distance.ravel(), on_line.ravel()) / np.maximum(counts, 1)
        contrast = np.where(counts >= min_pixels, _contrast(cover), -np.inf)
        line = int(np.argmax(contrast))
        if contrast[line] > _MIN_COVER and (best is None or contrast[line] > best[0]):
            best = (float(contrast[line]), distance, line)
    if best is None:
        return np.zeros(grey.shape, dtype=bool)
    # One edge: the strongest line (its neighbours at the next angles would widen it).
    return _paler_side(grey, best[1], best[2], brightening)


def _contrast(means: np.ndarray) -> np.ndarray:
    """Each line's value minus the mean of the lines beside it."""
    padded = np.pad(means, _BESIDE[1], mode="edge")
    near, far = _BESIDE
    centre = padded[far:-far]
    beside = [
        padded[far + d : len(padded) - far + d] for d in range(-far, far + 1) if abs(d) >= near
    ]
    return np.asarray(centre - np.mean(beside, axis=0))


def _paler_side(
    grey: np.ndarray, distance: np.ndarray, line: int, brightening: float
) -> np.ndarray:
    """The side of the line whose strip next to it is brighter by `brightening`, if either is."""
    before = (distance < line - 1) & (distance >= line - 1 - _SIDE_PIXELS)
    after = (distance > line + 1) & (distance <= line + 1 + _SIDE_PIXELS)
    if not before.any() or not after.any():
        return np.zeros(grey.shape, dtype=bool)
    difference = float(grey[after].mean() - grey[before].mean())
    if difference > brightening:
        return np.asarray(distance >= line, dtype=bool)
    if difference < -brightening:
        return np.asarray(distance <= line, dtype=bool)
    return np.zeros(grey.shape, dtype=bool)
