"""Air bubbles on the thumbnail: a thin dark rim that closes into a circle, paler inside.

Tissue is full of short dark lines (epithelium between lumens), but in every direction and
at every place; a bubble's rim is one line that keeps the same distance from a centre. So
a ring filter (the mean line strength along a circle, minus that just inside and outside
it) answers most strongly at a bubble's centre and radius. Air also lets more light
through than mounting medium: the disc inside must be brighter than the ring outside (each
the mean of its pixels on the slide, so that a bubble at the border is judged on what is
seen of it). Both run on the line view (inference.quality.lines, about 8 µm a pixel), as
convolutions that share the image's Fourier transform across radii.

Under air, tissue is so pale that it falls above the slide's tissue threshold; what stays
darker than the glass by `_PALE_TISSUE_CONTRAST` there is added to the tissue, so that the
gate counts it (as under a bubble) instead of losing it.
"""

import math

import cv2
import numpy as np
from scipy import fft, ndimage

from inference.quality.lines import LineView
from inference.tissue import TissueMask

# Radii tried grow by this factor.
_RADIUS_STEP = 1.15
# Candidate centres examined, best first (bounds the time on a slide full of rings).
_MAX_CANDIDATES = 2000
# Under air, tissue is at least this many grey levels darker than the slide's glass.
_PALE_TISSUE_CONTRAST = 10.0
# Pale tissue is judged over about this much of the slide (glass has grain too).
_PALE_TISSUE_UM = 32.0
# Ring: within this many pixels of the circle; beside it: this far from it; the brightening
# compares the disc up to the first with the band between the others, off the circle.
_RING_HALF_WIDTH = 0.75
_BESIDE = (2.0, 4.0)
_INSIDE, _OUTSIDE = 2.0, (2.0, 6.0)


def bubble_mask(
    view: LineView,
    radii_um: tuple[float, float],
    rim_contrast: float,
    brightening: float,
) -> np.ndarray:
    """Inside the bubbles (radius within `radii_um`) found on the line view, on the
    thumbnail's grid."""
    radii = _radii(radii_um[0] / view.spacing_um, radii_um[1] / view.spacing_um)
    candidates: list[tuple[float, int, int, float]] = []
    if radii:
        circles = _Circles(view.lines.shape, math.ceil(radii[-1] + _OUTSIDE[1]))
        lines, grey = circles.transform(view.lines), circles.transform(view.grey)
        for radius in radii:
            distance = np.abs(circles.distance - radius)
            score = circles.filtered(
                lines,
                _mean(distance <= _RING_HALF_WIDTH)
                - _mean((distance >= _BESIDE[0]) & (distance <= _BESIDE[1])),
            )
            rim = score > rim_contrast
            if rim.any():
                inside = circles.distance <= radius - _INSIDE
                outside = (circles.distance >= radius + _OUTSIDE[0]) & (
                    circles.distance <= radius + _OUTSIDE[1]
                )
                paler = circles.mean(grey, inside) - circles.mean(grey, outside)
                for y, x in zip(*np.nonzero(rim & (paler > brightening)), strict=True):
                    candidates.append((float(score[y, x]), int(y), int(x), radius))
    return _strongest_discs(candidates, view)


def with_tissue_under(tissue: TissueMask, air: np.ndarray, grey: np.ndarray) -> TissueMask:
    """`tissue` with the pale tissue under `air` (bubbles, beyond a coverslip edge) added
    (`grey`: the thumbnail's grey levels, float32)."""
    if not air.any() or tissue.mask.all():
        return tissue
    glass = float(np.median(grey[~tissue.mask]))
    size = max(1, round(_PALE_TISSUE_UM / tissue.spacing_um))
    smoothed = cv2.blur(grey, (size, size), borderType=cv2.BORDER_REPLICATE)
    # Not the dark rim itself, nor the glass beside it that smoothing darkens.
    inside = ndimage.binary_erosion(air, iterations=size)
    pale = inside & ~tissue.mask & (smoothed <= glass - _PALE_TISSUE_CONTRAST)
    return TissueMask(tissue.mask | pale, tissue.thumbnail, tissue.threshold)


class _Circles:
    """Convolutions of images of one shape with kernels that depend on the distance from
    their centre only, up to `reach` pixels, as zero-padded convolutions (outside the image
    counts as 0), by FFT at one size for all kernels (each image transformed once)."""

    def __init__(self, shape: tuple[int, ...], reach: int) -> None:
        self.shape = (shape[0], shape[1])
        # Wide enough that nothing wraps round into the image, nor the kernel onto itself.
        self.size = tuple(
            fft.next_fast_len(max(side + reach, 2 * reach + 1), real=True) for side in self.shape
        )
        rows, cols = (np.minimum(np.arange(n), n - np.arange(n)) for n in self.size)
        self.distance = np.hypot(rows[:, None], cols[None, :]).astype(np.float32)
        self._inside: np.ndarray | None = None

    def transform(self, image: np.ndarray) -> np.ndarray:
        return np.asarray(fft.rfft2(image.astype(np.float32), s=self.size))

    def filtered(self, transformed: np.ndarray, kernel: np.ndarray) -> np.ndarray:
        """The image (as `transform` gave it) convolved with `kernel` (centred on [0, 0])."""
        return self._inverse(transformed * fft.rfft2(kernel))

    def mean(self, transformed: np.ndarray, where: np.ndarray) -> np.ndarray:
        """The image's mean over `where` (centred on [0, 0]) around each pixel, over the
        pixels that lie in the image only (a bubble at the border is judged on what is seen)."""
        if self._inside is None:
            self._inside = self.transform(np.ones(self.shape, dtype=np.float32))
        kernel = fft.rfft2(where.astype(np.float32))
        counts = self._inverse(self._inside * kernel)
        return np.asarray(self._inverse(transformed * kernel) / np.maximum(counts, 1.0))

    def _inverse(self, product: np.ndarray) -> np.ndarray:
        out = fft.irfft2(product, s=self.size)
        return np.asarray(out[: self.shape[0], : self.shape[1]])


def _mean(where: np.ndarray) -> np.ndarray:
    """A kernel that averages over `where`."""
    return np.asarray(where / np.float32(max(1, int(where.sum()))), dtype=np.float32)


def _strongest_discs(candidates: list[tuple[float, int, int, float]], view: LineView) -> np.ndarray:
    """The discs of the best-scoring candidates, each centre taken once (the best radius), on
    the thumbnail's grid."""
    found = np.zeros(view.lines.shape, dtype=bool)
    on_thumbnail = np.zeros(view.thumbnail_shape, dtype=bool)
    grid = np.indices(found.shape)
    rows, cols = view.thumbnail_grid()
    for _score, y, x, radius in sorted(candidates, reverse=True)[:_MAX_CANDIDATES]:
        if not found[y, x]:
            # The rim too: radii are tried in steps, the bubble may end a pixel further.
            reach = (radius + 1) ** 2
            found |= (grid[0] - y) ** 2 + (grid[1] - x) ** 2 <= reach
            on_thumbnail |= (rows - y) ** 2 + (cols - x) ** 2 <= reach
    return on_thumbnail


def _radii(smallest: float, largest: float) -> list[float]:
    radii, radius = [], max(3.0, smallest)
    while radius <= largest:
        radii.append(radius)
        radius *= _RADIUS_STEP
    return radii
