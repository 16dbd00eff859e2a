"""How to turn a slide's stored pixel grid so that it appears as slide viewers show the slide
coordinate system: +Y to the right and +X downwards (the slide seen from above, as
dicom-microscopy-viewer draws it), so that "where the lesion is" carries over between a picture
and the viewer. The usual orientation [0, -1, 0, -1, 0, 0] (rows along -Y, columns along -X)
thus turns by 180 degrees."""

import logging
from dataclasses import dataclass

import numpy as np
from pydicom.dataset import Dataset

log = logging.getLogger(__name__)

# The orientation the standard's examples and most scanners use, when a header lacks one.
DEFAULT_ORIENTATION = (0.0, -1.0, 0.0, -1.0, 0.0, 0.0)


@dataclass(frozen=True)
class DisplayTransform:
    """Transpose first (stored rows become displayed columns), then flip."""

    transpose: bool = False
    flip_vertical: bool = False
    flip_horizontal: bool = False

    def apply(self, image: np.ndarray) -> np.ndarray:
        """`image` (rows, columns[, channels]) as displayed."""
        turned = np.swapaxes(image, 0, 1) if self.transpose else image
        if self.flip_vertical:
            turned = turned[::-1]
        if self.flip_horizontal:
            turned = turned[:, ::-1]
        return np.ascontiguousarray(turned)


def display_transform(level: Dataset) -> DisplayTransform:
    """The transform for a level's Image Orientation (Slide); an orientation that is not along
    the axes is taken to the nearest one that is (pictures are turned by right angles only)."""
    orientation = _orientation(level)
    # Displayed right = +Y, down = +X: a step along a row (next column) moves the picture by
    # (down, right) = (row_x, row_y); a step down a column (next row) by (column_x, column_y).
    row_x, row_y, column_x, column_y = (orientation[i] for i in (0, 1, 3, 4))
    if abs(row_y) >= abs(row_x):
        # Columns stay horizontal.
        return DisplayTransform(False, flip_vertical=column_x < 0, flip_horizontal=row_y < 0)
    # Stored columns run vertically on screen: transpose, then stored columns are display rows.
    return DisplayTransform(True, flip_vertical=row_x < 0, flip_horizontal=column_y < 0)


def _orientation(level: Dataset) -> tuple[float, ...]:
    values = level.get("ImageOrientationSlide")
    try:
        orientation = tuple(float(value) for value in values)
    except (TypeError, ValueError):
        orientation = ()
    if len(orientation) != 6 or min(_length(orientation[:2]), _length(orientation[3:5])) < 0.5:
        log.info("no usable Image Orientation (Slide); pictures assume %s", DEFAULT_ORIENTATION)
        return DEFAULT_ORIENTATION
    return orientation


def _length(vector: tuple[float, ...]) -> float:
    return float(np.hypot(vector[0], vector[1]))
