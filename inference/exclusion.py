"""Tissue the quality gate left out, inside the tiles that are analysed: its pixels are marked
INVALID before the top-k and the map, so they count neither in the score nor on the map.

The excluded cells lie on the thumbnail's grid; an analysis pixel belongs to the cell under
its centre.
"""

import math
import threading

import numpy as np
import torch

from inference.stitching import INVALID
from inference.tiling import Tile


class ExcludedArea:
    """Excluded cells of the thumbnail grid (True: left out), mapped onto analysis tiles."""

    def __init__(self, excluded: np.ndarray, mask_spacing_um: float, spacing_um: float) -> None:
        self._mask = np.ascontiguousarray(excluded, dtype=bool)
        # Thumbnail cells per analysis pixel.
        self._ratio = spacing_um / mask_spacing_um
        self._table = np.zeros((excluded.shape[0] + 1, excluded.shape[1] + 1), dtype=np.int64)
        self._table[1:, 1:] = self._mask.astype(np.int64).cumsum(0).cumsum(1)
        self._on_device: dict[torch.device, torch.Tensor] = {}
        self._lock = threading.Lock()

    def touches(self, tiles: list[Tile]) -> bool:
        """Whether the kept area of any of `tiles` has an excluded pixel (a cheap host check)."""
        return any(self._cells_in(tile) > 0 for tile in tiles)

    def apply(self, probabilities: torch.Tensor, geometry: torch.Tensor) -> torch.Tensor:
        """`probabilities` (N, keep, keep) with excluded pixels set to INVALID; `geometry` holds
        each row's kept x, y (columns 0 and 1, on the same device)."""
        keep = probabilities.shape[-1]
        mask = self._mask_on(probabilities.device)
        steps = torch.arange(keep, device=probabilities.device, dtype=torch.float64) + 0.5
        rows = self._cells(geometry[:, 1], steps, mask.shape[0])
        cols = self._cells(geometry[:, 0], steps, mask.shape[1])
        # Per tile: its rows of cells, then its columns (two small gathers, no N x keep x keep
        # index arithmetic).
        excluded = torch.stack(
            [
                mask.index_select(0, rows[index]).index_select(1, cols[index])
                for index in range(probabilities.shape[0])
            ]
        )
        return probabilities.masked_fill(excluded, INVALID)

    def _cells(self, origins: torch.Tensor, steps: torch.Tensor, size: int) -> torch.Tensor:
        positions = (origins.to(torch.float64)[:, None] + steps[None, :]) * self._ratio
        return positions.floor().long().clamp(0, size - 1)

    def _mask_on(self, device: torch.device) -> torch.Tensor:
        with self._lock:
            if device not in self._on_device:
                self._on_device[device] = torch.from_numpy(self._mask).to(device)
            return self._on_device[device]

    def _cells_in(self, tile: Tile) -> int:
        rows, cols = self._mask.shape
        kept, ratio = tile.kept, self._ratio
        top = min(math.floor((kept.origin.y + 0.5) * ratio), rows - 1)
        left = min(math.floor((kept.origin.x + 0.5) * ratio), cols - 1)
        bottom = min(math.floor((kept.bottom - 0.5) * ratio), rows - 1) + 1
        right = min(math.floor((kept.right - 0.5) * ratio), cols - 1) + 1
        t = self._table
        return int(t[bottom, right] - t[top, right] - t[bottom, left] + t[top, left])
