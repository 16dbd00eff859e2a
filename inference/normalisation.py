"""The model's input from uint8 RGB tiles: (x / 255 - mean) / std, as x * scale + shift.

One definition for wherever it runs: on the device (CUDA: uint8 crosses the bus, a quarter of
the bytes), or on a CPU in the reader threads, each tile as it is read, so the model's core
runs only the model. There it is a look-up in a table of the 256 values per channel, made by
the same two float32 operations: the same values, in one pass over the tile.
"""

from collections.abc import Sequence

import cv2
import numpy as np
import torch

from inference.errors import InferenceError


class Normalisation:
    """Per-channel scale and shift, shaped (1, 3, 1, 1) to broadcast over NCHW tiles."""

    def __init__(self, scale: torch.Tensor, shift: torch.Tensor) -> None:
        self.scale = scale
        self.shift = shift
        levels = torch.arange(256, dtype=torch.float32, device=scale.device)
        table = self.apply_(levels.view(1, 1, 256, 1).repeat(1, 3, 1, 1))
        # (1, 256, 3): cv2.LUT's table for three-channel pixels.
        self._table = np.ascontiguousarray(table[0, :, :, 0].T.cpu().numpy()[None])

    @classmethod
    def of(
        cls, mean: Sequence[float], std: Sequence[float], device: torch.device
    ) -> "Normalisation":
        """From the model's per-channel mean and std of 0-1 pixels."""
        mean_t = torch.tensor(mean, device=device).view(1, 3, 1, 1)
        std_t = torch.tensor(std, device=device).view(1, 3, 1, 1)
        return cls(1 / (255 * std_t), -mean_t / std_t)

    def apply_(self, tiles: torch.Tensor) -> torch.Tensor:
        """Float tiles (N, 3, H, W) of 0-255 values normalised in place (and returned)."""
        return tiles.mul_(self.scale).add_(self.shift)

    def value(self, level: int) -> np.ndarray:
        """The three normalised channels of a grey `level` (filler tiles)."""
        values: np.ndarray = self._table[0, level]
        return values

    def into(self, pixels: np.ndarray, out: np.ndarray) -> None:
        """uint8 (H, W, 3) pixels normalised into `out`, float32 (H, W, 3) and contiguous."""
        written = cv2.LUT(pixels, self._table, dst=out)
        if written is not out:
            raise InferenceError(f"normalised tiles must be float32 {pixels.shape}, contiguous")
