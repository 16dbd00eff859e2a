"""Deterministic test slides: a textured gradient with a few flat shapes, rendered by region."""

import numpy as np


class ShapesRenderer:
    """Pixels that depend only on base-level coordinates; records every region asked for."""

    def __init__(self, width: int, height: int) -> None:
        self.width = width
        self.height = height
        self.calls: list[tuple[int, int, int, int]] = []

    def __call__(self, x: int, y: int, width: int, height: int) -> np.ndarray:
        self.calls.append((x, y, width, height))
        return self.region(x, y, width, height)

    def region(self, x: int, y: int, width: int, height: int) -> np.ndarray:
        """The pixels without recording the call (the test's ground truth)."""
        rows, columns = np.mgrid[y : y + height, x : x + width].astype(np.float64)
        u, v = columns / self.width, rows / self.height
        pixels = np.stack([200 - 80 * u, 120 + 60 * v, 160 + 40 * u * v], axis=-1)
        # Fine texture, so that a shifted, nearest-neighbour or wrongly averaged level shows.
        pixels += (25 * np.sin(columns * 0.9) * np.cos(rows * 1.3))[..., np.newaxis]
        disc = (columns - 0.3 * self.width) ** 2 + (rows - 0.4 * self.height) ** 2
        pixels[disc < (0.15 * self.height) ** 2] = (120, 40, 110)
        box = (np.abs(columns - 0.7 * self.width) < 0.1 * self.width) & (
            np.abs(rows - 0.6 * self.height) < 0.2 * self.height
        )
        pixels[box] = (230, 170, 200)
        result: np.ndarray = np.clip(pixels, 0, 255).astype(np.uint8)
        return result

    def whole(self) -> np.ndarray:
        return self.region(0, 0, self.width, self.height)
