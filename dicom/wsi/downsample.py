"""Two-fold area-average downsampling of row strips, as they stream past."""

import numpy as np
from PIL import Image


def halve(rows: np.ndarray) -> np.ndarray:
    """Rounded mean of each 2 x 2 block of an even number of RGB rows; an odd last column is
    averaged on its own (as if repeated)."""
    # Pillow's box reduction computes exactly (sum + 2) // 4 and is twice as fast as numpy.
    if not rows.shape[0]:
        return np.empty((0, (rows.shape[1] + 1) // 2, 3), dtype=np.uint8)
    return np.asarray(Image.fromarray(rows).reduce(2))


class RowHalver:
    """Halves a stream of row strips of any heights; an odd row waits for its partner."""

    def __init__(self) -> None:
        self._carry: np.ndarray | None = None

    def push(self, rows: np.ndarray) -> np.ndarray:
        """The halved rows that this strip completes (possibly none)."""
        if self._carry is not None:
            rows = np.concatenate([self._carry, rows])
        paired = rows.shape[0] - rows.shape[0] % 2
        self._carry = rows[paired:].copy() if paired < rows.shape[0] else None
        return halve(rows[:paired])

    def finish(self) -> np.ndarray | None:
        """The last halved row when an odd row is left over (it is paired with itself)."""
        carry, self._carry = self._carry, None
        return None if carry is None else halve(np.concatenate([carry, carry]))
