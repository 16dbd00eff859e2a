"""The hottest cells of a probability map."""

import numpy as np
import pytest

from dicom.hot_regions import hottest_regions
from dicom.result_errors import ResultWriteError


def test_hottest_cells_first_with_their_peak() -> None:
    probability = np.zeros((70, 100), np.float32)
    probability[40:45, 90:95] = 0.9
    probability[0:3, 0:3] = 0.5
    first, second = hottest_regions(probability, count=5, cell=32)
    assert (first.column, first.row, first.width, first.height) == (64, 32, 32, 32)
    assert first.peak_probability == pytest.approx(0.9)
    assert (first.peak_column, first.peak_row) == (90.5, 40.5)
    assert first.mean_probability == pytest.approx(0.9 * 25 / 32**2)
    assert (second.column, second.row) == (0, 0)


def test_edge_cells_are_averaged_over_their_own_size() -> None:
    probability = np.zeros((40, 40), np.float32)
    probability[32:, 32:] = 1.0  # the 8 x 8 corner cell, full
    (region,) = hottest_regions(probability, count=1, cell=32)
    assert (region.column, region.row, region.width, region.height) == (32, 32, 8, 8)
    assert region.mean_probability == pytest.approx(1.0)


def test_cells_at_or_below_the_minimum_are_left_out() -> None:
    probability = np.full((64, 64), 0.2, np.float32)
    assert hottest_regions(probability, count=3, cell=32, minimum=0.25) == []
    assert len(hottest_regions(probability, count=3, cell=32, minimum=0.1)) == 3
    assert hottest_regions(np.zeros((64, 64), np.float32)) == []


def test_nonsense_parameters_are_refused() -> None:
    with pytest.raises(ResultWriteError):
        hottest_regions(np.zeros((8, 8), np.float32), cell=0)
