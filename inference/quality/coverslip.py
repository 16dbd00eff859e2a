"""The coverslip's edge on the thumbnail: a dark straight line, paler air beyond it.

Tissue's own dark lines and borders stay in the tissue; the edge is one line straight across
the slide, glass included. The share of dark-line pixels over the glass along every straight
line (a Radon transform, by angle and distance from the corner), minus that of the lines
beside it, is high only there. Tissue on the brighter side of the edge lies under air.
"""

import math

import numpy as np

from inference.quality.lines import LineView

_ANGLE_STEP_DEGREES = 2.0
# Lines beside the one measured, in pixels either side (the edge itself is about one wide).
_BESIDE = (2, 4)
# The share of a line's glass pixels that must be darker than both sides, more than beside it.
_MIN_COVER = 0.35
# Grey levels compared on each side: this many pixels, after a gap of this many (at about
# 8 µm a pixel: 16-64 µm from the edge).
_SIDE_PIXELS, _SIDE_GAP = 6, 2


def coverslip_mask(
    view: LineView, min_length_um: float, rim_contrast: float, brightening: float
) -> np.ndarray:
    """The slide beyond a coverslip edge (the paler side), or nothing when there is none, on
    the thumbnail's grid; the edge must cross at least `min_length_um` of glass."""
    grid = np.indices(view.grey.shape, dtype=np.float32)
    rows, cols = grid[0], grid[1]
    glass = rows[view.glass], cols[view.glass]
    # Pixels of glass on a dark line: the edge covers most of its length, an arc only a bit.
    on_line = (view.lines > rim_contrast) & view.glass
    dark = rows[on_line], cols[on_line]
    corner = _corners(view.grey.shape)
    min_pixels = min_length_um / view.spacing_um
    best: tuple[float, float, int] | None = None
    for degrees in np.arange(0.0, 180.0, _ANGLE_STEP_DEGREES):
        angle = math.radians(float(degrees))
        bounds = _distance(corner, angle, 0)
        start, length = int(bounds.min()), int(bounds.max() - bounds.min()) + 1
        counts = np.bincount(_distance(glass, angle, start), minlength=length)
        cover = np.bincount(_distance(dark, angle, start), minlength=length)
        contrast = np.where(counts >= min_pixels, _contrast(cover / np.maximum(counts, 1)), -np.inf)
        line = int(np.argmax(contrast))
        if contrast[line] > _MIN_COVER and (best is None or contrast[line] > best[0]):
            best = (float(contrast[line]), angle, line + start)
    if best is None:
        return np.zeros(view.thumbnail_shape, dtype=bool)
    # One edge: the strongest line (its neighbours at the next angles would widen it).
    _, angle, line = best
    side = _paler_side(view.grey, _distance((rows, cols), angle, 0), line, brightening)
    if side == 0:
        return np.zeros(view.thumbnail_shape, dtype=bool)
    thumbnail_rows, thumbnail_cols = view.thumbnail_grid()
    distance = thumbnail_cols * math.cos(angle) + thumbnail_rows * math.sin(angle)
    # The line's pixels are those whose distance rounds to it: the air side includes them.
    return np.asarray(side * (distance - line) >= -0.5, dtype=bool)


def _corners(shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The image's corner pixels (rows, columns), whose distances bound every pixel's."""
    bottom, right = shape[0] - 1, shape[1] - 1
    return (
        np.array([0, 0, bottom, bottom], dtype=np.float32),
        np.array([0, right, 0, right], dtype=np.float32),
    )


def _distance(points: tuple[np.ndarray, np.ndarray], angle: float, start: int) -> np.ndarray:
    """The line through each point (rows, columns) at `angle`: its rounded distance from the
    origin, less `start`."""
    rows, cols = points
    distance = np.rint(cols * np.float32(math.cos(angle)) + rows * np.float32(math.sin(angle)))
    return np.asarray(distance.astype(np.int64) - start)


def _contrast(means: np.ndarray) -> np.ndarray:
    """Each line's value minus the mean of the lines beside it."""
    near, far = _BESIDE
    padded = np.pad(means, far, mode="edge")
    beside = np.array([abs(d) >= near for d in range(-far, far + 1)], dtype=np.float64)
    return np.asarray(means - np.convolve(padded, beside / beside.sum(), mode="valid"))


def _paler_side(grey: np.ndarray, distance: np.ndarray, line: int, brightening: float) -> int:
    """The side of the line (1: further from the origin, -1: nearer, 0: neither) whose strip
    beside it is brighter by `brightening`."""
    gap = _SIDE_GAP
    before = (distance < line - gap) & (distance >= line - gap - _SIDE_PIXELS)
    after = (distance > line + gap) & (distance <= line + gap + _SIDE_PIXELS)
    if not before.any() or not after.any():
        return 0
    difference = float(grey[after].mean() - grey[before].mean())
    if difference > brightening:
        return 1
    if difference < -brightening:
        return -1
    return 0
