"""Air bubbles on the thumbnail: a thin dark rim that closes into a circle, paler inside.

Tissue is full of short dark lines (epithelium between lumens), but in every direction and
at every place; a bubble's rim is one line that keeps the same distance from a centre. So
a ring filter (the mean line strength along a circle, minus that just inside and outside
it) answers most strongly at a bubble's centre and radius. Air also lets more light
through than mounting medium: the disc inside must be brighter than the ring outside.

Under air, tissue is so pale that it falls above the slide's tissue threshold; what stays
darker than the glass by `_PALE_TISSUE_CONTRAST` there is added to the tissue, so that the
gate counts it (as under a bubble) instead of losing it.
"""

import math

import numpy as np
from scipy import ndimage, signal

from inference.tissue import TissueMask, grey_levels

# Line strength (grey levels darker than both sides) is capped here, so that a few very
# dark lines of tissue cannot make a ring on their own.
_LINE_CAP = 30.0
_DIRECTIONS = ((0, 1), (1, 0), (1, 1), (1, -1))
# Radii tried grow by this factor.
_RADIUS_STEP = 1.15
# Candidate centres examined, best first (bounds the time on a slide full of rings).
_MAX_CANDIDATES = 2000
# Under air, tissue is at least this many grey levels darker than the slide's glass.
_PALE_TISSUE_CONTRAST = 10.0
# Pale tissue is judged over about this much of the slide (glass has grain too).
_PALE_TISSUE_UM = 32.0


def bubble_mask(
    tissue: TissueMask,
    radii_um: tuple[float, float],
    rim_contrast: float,
    brightening: float,
) -> np.ndarray:
    """Inside the bubbles (radius within `radii_um`) found on the thumbnail."""
    grey = grey_levels(tissue.thumbnail.image).astype(np.float32)
    lines = line_strength(grey)
    candidates: list[tuple[float, int, int, float]] = []
    for radius in _radii(radii_um[0] / tissue.spacing_um, radii_um[1] / tissue.spacing_um):
        score = _ring_score(lines, radius)
        rim = score > rim_contrast
        if rim.any():
            centres = rim & (_brightening(grey, radius) > brightening)
            for y, x in zip(*np.nonzero(centres), strict=True):
                candidates.append((float(score[y, x]), int(y), int(x), radius))
    return _strongest_discs(candidates, tissue.mask.shape)


def with_tissue_under(tissue: TissueMask, air: np.ndarray) -> TissueMask:
    """`tissue` with the pale tissue under `air` (bubbles, beyond a coverslip edge) added."""
    if not air.any() or tissue.mask.all():
        return tissue
    grey = grey_levels(tissue.thumbnail.image).astype(np.float32)
    glass = float(np.median(grey[~tissue.mask]))
    size = max(1, round(_PALE_TISSUE_UM / tissue.spacing_um))
    smoothed = ndimage.uniform_filter(grey, size=size, mode="nearest")
    # Not the dark rim itself, nor the glass beside it that smoothing darkens.
    inside = ndimage.binary_erosion(air, iterations=size)
    pale = inside & ~tissue.mask & (smoothed <= glass - _PALE_TISSUE_CONTRAST)
    return TissueMask(tissue.mask | pale, tissue.thumbnail, tissue.threshold)


def _strongest_discs(
    candidates: list[tuple[float, int, int, float]], shape: tuple[int, ...]
) -> np.ndarray:
    """The discs of the best-scoring candidates, each centre taken once (the best radius)."""
    found = np.zeros(shape, dtype=bool)
    grid = np.indices(shape)
    rows, cols = grid[0], grid[1]
    for _score, y, x, radius in sorted(candidates, reverse=True)[:_MAX_CANDIDATES]:
        if not found[y, x]:
            # The rim too: radii are tried in steps, the bubble may end a pixel further.
            found |= (rows - y) ** 2 + (cols - x) ** 2 <= (radius + 1) ** 2
    return found


def line_strength(grey: np.ndarray) -> np.ndarray:
    """How much darker each pixel is than both its neighbours across a line, at best."""
    height, width = grey.shape
    padded = np.pad(grey, 2, mode="edge")
    best = np.zeros_like(grey)
    for distance in (1, 2):
        for dy, dx in _DIRECTIONS:
            top, left = 2 + dy * distance, 2 + dx * distance
            ahead = padded[top : top + height, left : left + width]
            top, left = 2 - dy * distance, 2 - dx * distance
            behind = padded[top : top + height, left : left + width]
            np.maximum(best, np.minimum(ahead, behind) - grey, out=best)
    return np.asarray(np.minimum(best, _LINE_CAP))


def _radii(smallest: float, largest: float) -> list[float]:
    radii, radius = [], max(3.0, smallest)
    while radius <= largest:
        radii.append(radius)
        radius *= _RADIUS_STEP
    return radii


def _ring_score(lines: np.ndarray, radius: float) -> np.ndarray:
    """Mean line strength on the circle of `radius` around each pixel, minus just off it."""
    reach = math.ceil(radius + 4)
    yy, xx = np.mgrid[-reach : reach + 1, -reach : reach + 1]
    distance = np.hypot(yy, xx)
    ring = (np.abs(distance - radius) <= 0.75).astype(np.float32)
    beside = ((np.abs(distance - radius) >= 2) & (np.abs(distance - radius) <= 4)).astype(
        np.float32
    )
    kernel = ring / ring.sum() - beside / beside.sum()
    return np.asarray(signal.fftconvolve(lines, kernel, mode="same"))


def _brightening(grey: np.ndarray, radius: float) -> np.ndarray:
    """Mean grey level inside the circle of `radius` minus that of a band just outside it."""
    reach = math.ceil(radius + 6)
    yy, xx = np.mgrid[-reach : reach + 1, -reach : reach + 1]
    distance = np.hypot(yy, xx)
    inside = (distance <= radius - 2).astype(np.float32)
    outside = ((distance >= radius + 2) & (distance <= radius + 6)).astype(np.float32)
    kernel = inside / inside.sum() - outside / outside.sum()
    return np.asarray(signal.fftconvolve(grey, kernel, mode="same"))
