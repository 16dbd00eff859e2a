"""Foci of a probability map: connected regions the pathologist should look at, each with its
outline, size and probabilities, most suspicious first."""

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from dicom.results.errors import ResultWriteError
from dicom.results.focus_outline import outer_outline

# Below the threshold a slide still shows where the model leaned: the regions at or above this
# share of the slide's peak probability (half maximum), around its local maxima.
PEAK_SHARE = 0.5
_SMALLEST = float(np.finfo(np.float32).tiny)


@dataclass(frozen=True)
class Focus:
    """A connected region of the map (pixels of the level the map lies on).

    `outline` is closed (first point repeated last) and runs along pixel edges, as (column, row)
    in image coordinates; `peak_column` and `peak_row` are the centre of the most probable pixel.
    """

    outline: tuple[tuple[float, float], ...]
    pixel_count: int
    mean_probability: float
    peak_probability: float
    peak_column: float
    peak_row: float

    def area_mm2(self, pixel_spacing_mm: tuple[float, float]) -> float:
        """The region's area, given the map level's (row, column) pixel spacing in mm."""
        return self.pixel_count * pixel_spacing_mm[0] * pixel_spacing_mm[1]


def find_foci(probability: np.ndarray, threshold: float, count: int) -> list[Focus]:
    """At most `count` foci: the connected regions at or above `threshold` or, on a slide whose
    every pixel lies below it, the regions at or above half the slide's peak probability.

    Ranked by peak probability (to 0.01), then size; regions are 4-connected, holes filled.
    """
    if count < 0 or not 0 <= threshold <= 1:
        raise ResultWriteError(
            f"count must be >= 0 and threshold 0 to 1; got {count} and {threshold}"
        )
    if probability.ndim != 2:
        raise ResultWriteError(f"the probability map must be 2-D; got {probability.shape}")
    peak = float(probability.max()) if probability.size else 0.0
    level = threshold if peak >= threshold else PEAK_SHARE * peak
    if count == 0 or not peak > 0:
        return []
    # A focus holds probabilities above zero even at a threshold of 0.
    inside = probability >= max(level, _SMALLEST)
    labels, found = ndimage.label(inside)
    if not found:
        return []
    # Ranked on peak and size first, so that only the foci kept are outlined.
    peaks, sizes = _peaks_and_sizes(labels[inside], probability[inside])
    ranked = np.lexsort((-sizes, -np.round(peaks, 2)))[:count]
    boxes = ndimage.find_objects(labels)
    return [_focus(probability, labels, int(i) + 1, boxes[int(i)]) for i in ranked]


def _peaks_and_sizes(labels: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per label 1..n (each present): the highest value and the number of pixels."""
    order = np.argsort(labels, kind="stable")
    labels, values = labels[order], values[order]
    starts = np.concatenate(([0], np.flatnonzero(np.diff(labels)) + 1))
    peaks: np.ndarray = np.maximum.reduceat(values, starts)
    sizes: np.ndarray = np.diff(np.concatenate((starts, [labels.size])))
    return peaks, sizes


def _focus(
    probability: np.ndarray, labels: np.ndarray, number: int, box: tuple[slice, slice]
) -> Focus:
    inside = labels[box] == number
    values = probability[box][inside]
    rows, columns = np.nonzero(inside)
    best = int(np.argmax(values))
    top, left = box[0].start, box[1].start
    outline = outer_outline(ndimage.binary_fill_holes(inside))
    return Focus(
        outline=tuple((left + x, top + y) for x, y in outline),
        pixel_count=int(values.size),
        mean_probability=float(values.mean()),
        peak_probability=float(values[best]),
        peak_column=left + int(columns[best]) + 0.5,
        peak_row=top + int(rows[best]) + 0.5,
    )
