"""The hottest regions of a probability map: the square cells with the highest mean probability,
for the report to point the pathologist at."""

from dataclasses import dataclass

import numpy as np

from dicom.result_errors import ResultWriteError


@dataclass(frozen=True)
class HotRegion:
    """A square of the map (pixels of the level the map lies on) and its probabilities.

    `column` and `row` are the top left corner; `peak_column` and `peak_row` the centre of the
    most probable pixel inside.
    """

    column: int
    row: int
    width: int
    height: int
    mean_probability: float
    peak_column: float
    peak_row: float
    peak_probability: float

    def outline(self) -> list[tuple[float, float]]:
        """The closed outline (column, row) in image coordinates: pixel edges, first point
        repeated last."""
        left, top = float(self.column), float(self.row)
        right, bottom = left + self.width, top + self.height
        return [(left, top), (right, top), (right, bottom), (left, bottom), (left, top)]


def hottest_regions(
    probability: np.ndarray, count: int = 5, cell: int = 32, minimum: float = 0.0
) -> list[HotRegion]:
    """The `count` cells of `cell` x `cell` pixels with the highest mean probability above
    `minimum`, hottest first (cells never overlap; the last row and column may be smaller)."""
    if count < 0 or cell < 1:
        raise ResultWriteError(f"count must be >= 0 and cell >= 1; got {count} and {cell}")
    means = _cell_means(probability, cell)
    order = np.argsort(-means, axis=None, kind="stable")[:count]
    regions = []
    for flat in order:
        row_cell, column_cell = divmod(int(flat), means.shape[1])
        if not means[row_cell, column_cell] > minimum:
            break
        regions.append(_region(probability, row_cell * cell, column_cell * cell, cell))
    return regions


def _cell_means(probability: np.ndarray, cell: int) -> np.ndarray:
    rows, columns = probability.shape
    row_starts, column_starts = np.arange(0, rows, cell), np.arange(0, columns, cell)
    # Sums of row bands first, so no copy of the whole map is ever made.
    bands = np.add.reduceat(probability, row_starts, axis=0, dtype=np.float64)
    sums = np.add.reduceat(bands, column_starts, axis=1)
    heights = np.minimum(cell, rows - row_starts)
    widths = np.minimum(cell, columns - column_starts)
    means: np.ndarray = sums / np.outer(heights, widths)
    return means


def _region(probability: np.ndarray, row: int, column: int, cell: int) -> HotRegion:
    block = probability[row : row + cell, column : column + cell]
    peak_row, peak_column = np.unravel_index(int(np.argmax(block)), block.shape)
    return HotRegion(
        column=column,
        row=row,
        width=block.shape[1],
        height=block.shape[0],
        mean_probability=float(block.mean()),
        peak_column=column + int(peak_column) + 0.5,
        peak_row=row + int(peak_row) + 0.5,
        peak_probability=float(block.max()),
    )
