"""Pictures turned as viewers show slide coordinates: +X downwards, +Y to the right, for every
orientation along the axes; odd or missing orientations handled."""

import itertools
import math

import numpy as np
import pytest
from pydicom.dataset import Dataset

from dicom.results.display_orientation import (
    DEFAULT_ORIENTATION,
    DisplayTransform,
    display_transform,
)

ROWS, COLUMNS = 3, 5
AXES = [(1.0, 0.0), (-1.0, 0.0), (0.0, 1.0), (0.0, -1.0)]
# Every pair of perpendicular axis-aligned directions: the 8 orientations a slide can have.
ORIENTATIONS = [
    (row[0], row[1], 0.0, column[0], column[1], 0.0)
    for row, column in itertools.product(AXES, AXES)
    if row[0] * column[0] + row[1] * column[1] == 0
]


def level_with(orientation: object) -> Dataset:
    level = Dataset()
    if orientation is not None:
        level.ImageOrientationSlide = list(orientation)  # type: ignore[call-overload]
    return level


def slide_coordinates(orientation: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """X and Y of each stored pixel (origin at the first pixel, spacing 1)."""
    row, column = np.mgrid[0:ROWS, 0:COLUMNS].astype(np.float64)
    x = column * orientation[0] + row * orientation[3]
    y = column * orientation[1] + row * orientation[4]
    return x, y


@pytest.mark.parametrize("orientation", ORIENTATIONS)
def test_displayed_x_grows_downwards_and_y_to_the_right(orientation: tuple[float, ...]) -> None:
    assert len(ORIENTATIONS) == 8
    turn = display_transform(level_with(orientation))
    x, y = (turn.apply(values) for values in slide_coordinates(orientation))
    assert (np.diff(x, axis=0) == 1).all() and (np.diff(x, axis=1) == 0).all()
    assert (np.diff(y, axis=1) == 1).all() and (np.diff(y, axis=0) == 0).all()


def test_the_usual_orientation_turns_by_half_a_turn() -> None:
    image = np.arange(ROWS * COLUMNS * 3, dtype=np.uint8).reshape(ROWS, COLUMNS, 3)
    turn = display_transform(level_with(DEFAULT_ORIENTATION))
    np.testing.assert_array_equal(turn.apply(image), np.rot90(image, 2))
    assert turn == DisplayTransform(False, True, True)


def test_an_orientation_off_the_axes_takes_the_nearest_one() -> None:
    angle = math.radians(10)
    tilted = (math.sin(angle), -math.cos(angle), 0.0, -math.cos(angle), -math.sin(angle), 0.0)
    assert display_transform(level_with(tilted)) == display_transform(
        level_with(DEFAULT_ORIENTATION)
    )


@pytest.mark.parametrize(
    "orientation", [None, [1.0, 0.0, 0.0], [0.0] * 6, [0.0, 0.0, 1.0, 0.0, -1.0, 0.0]]
)
def test_a_missing_or_broken_orientation_takes_the_usual_one(orientation: object) -> None:
    level = Dataset()
    if orientation is not None:
        level.ImageOrientationSlide = orientation
    assert display_transform(level) == display_transform(level_with(DEFAULT_ORIENTATION))
