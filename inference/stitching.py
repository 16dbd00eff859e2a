"""Stitching tile probabilities on the device: the exact running top-k, and the pooled map.

Tiles arrive as (N, keep, keep) probabilities whose pixels outside the image (the last
row and column of tiles overhang it) are marked INVALID. Each device keeps its own
accumulators; `merge` combines them on the host at the end of a slide.
"""

import math
from dataclasses import dataclass

import numpy as np
import torch

from inference.tiling import AnalysisGrid, MapGrid, Tile

INVALID = -1.0


@dataclass(frozen=True)
class StitchedSlide:
    """Merged accumulators on the host: top values, and the map's sums and weights."""

    top_values: np.ndarray
    sums: np.ndarray
    weights: np.ndarray


class TopKAccumulator:
    """The k highest valid probabilities seen so far, merged per batch with torch.topk."""

    def __init__(self, k: int, device: torch.device) -> None:
        self._k = k
        self._values = torch.empty(0, device=device)

    def add(self, probabilities: torch.Tensor) -> None:
        """Fold in a batch: a top-k per tile over its kept area, then over the union."""
        flat = probabilities.reshape(probabilities.shape[0], -1)
        per_tile = flat.topk(min(self._k, flat.shape[1]), dim=1, sorted=False).values
        merged = torch.cat((self._values, per_tile.ravel()))
        self._values = merged.topk(min(self._k, merged.numel()), sorted=False).values

    def values(self) -> np.ndarray:
        """The valid values, highest first (fewer than k if fewer pixels were analysed)."""
        values = np.sort(self._values.float().cpu().numpy())[::-1]
        return np.ascontiguousarray(values[values >= 0])


class MapAccumulator:
    """Area-weighted sums of probabilities on the map's grid, and the analysed area per pixel.

    Map pixel u covers analysis pixels [u r, (u + 1) r) with r the ratio of spacings; each
    analysis pixel adds its probability times its overlap with the map pixel. Per tile
    this is W_y P W_x^T with overlap matrices W, one batched matrix product: exact for
    any ratio, and plain average pooling when r is a whole number.
    """

    def __init__(
        self, analysis: AnalysisGrid, target: MapGrid, keep: int, device: torch.device
    ) -> None:
        self._ratio = target.spacing_um / analysis.spacing_um
        self._keep = keep
        self._span = math.ceil(keep / self._ratio) + 1
        shape = (target.size.height, target.size.width)
        self._sums = torch.zeros(shape, device=device)
        self._weights = torch.zeros(shape, device=device)
        self._pixels = torch.arange(keep, device=device, dtype=torch.float64)
        self._cells = torch.arange(self._span, device=device, dtype=torch.float64)

    def add(
        self,
        probabilities: torch.Tensor,
        geometry: torch.Tensor,
        tiles: list[Tile],
        masked: bool = False,
    ) -> None:
        """Fold in a batch; `geometry` holds each tile's kept x, y, width, height (device).
        `masked`: some pixels inside the image are INVALID too (left out by the quality gate),
        so the analysed area is counted pixel by pixel."""
        count = len(tiles)
        rows = self._overlaps(geometry[:count, 1], geometry[:count, 3])
        cols = self._overlaps(geometry[:count, 0], geometry[:count, 2])
        valid = probabilities[:count].clamp(min=0)
        sums = rows @ valid @ cols.transpose(1, 2)
        if masked:
            analysed = (probabilities[:count] >= 0).to(rows.dtype)
            weights = rows @ analysed @ cols.transpose(1, 2)
        else:
            weights = rows.sum(2)[:, :, None] * cols.sum(2)[:, None, :]
        for index, tile in enumerate(tiles):
            self._place(sums[index], weights[index], tile)

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """The sums and weights on the host."""
        return self._sums.cpu().numpy(), self._weights.cpu().numpy()

    def _overlaps(self, origins: torch.Tensor, extents: torch.Tensor) -> torch.Tensor:
        """(N, span, keep) overlap of each kept pixel with each map cell the tile touches."""
        origins = origins.to(torch.float64)[:, None, None]
        first = torch.floor(origins / self._ratio)
        cell_lo = (first + self._cells[None, :, None]) * self._ratio - origins
        pixel_lo = self._pixels[None, None, :]
        low = torch.maximum(cell_lo, pixel_lo)
        high = torch.minimum(cell_lo + self._ratio, pixel_lo + 1)
        inside = pixel_lo < extents.to(torch.float64)[:, None, None]
        return ((high - low).clamp(min=0) * inside).to(torch.float32)

    def _place(self, sums: torch.Tensor, weights: torch.Tensor, tile: Tile) -> None:
        top = math.floor(tile.kept.origin.y / self._ratio)
        left = math.floor(tile.kept.origin.x / self._ratio)
        height = min(self._span, self._sums.shape[0] - top)
        width = min(self._span, self._sums.shape[1] - left)
        if height <= 0 or width <= 0:
            return
        self._sums[top : top + height, left : left + width] += sums[:height, :width]
        self._weights[top : top + height, left : left + width] += weights[:height, :width]


def mark_invalid(probabilities: torch.Tensor, geometry: torch.Tensor) -> torch.Tensor:
    """Set pixels beyond each tile's valid width and height (geometry columns 2, 3) to INVALID."""
    keep = probabilities.shape[-1]
    steps = torch.arange(keep, device=probabilities.device)
    inside_x = steps[None, :] < geometry[:, 2:3]
    inside_y = steps[None, :] < geometry[:, 3:4]
    inside = inside_y[:, :, None] & inside_x[:, None, :]
    return torch.where(inside, probabilities, INVALID)


def merge(parts: list[StitchedSlide], k: int) -> StitchedSlide:
    """Combine the accumulators of several devices: the top-k of the union, summed maps."""
    values = np.sort(np.concatenate([part.top_values for part in parts]))[::-1][:k]
    sums = np.sum([part.sums.astype(np.float64) for part in parts], axis=0)
    weights = np.sum([part.weights.astype(np.float64) for part in parts], axis=0)
    return StitchedSlide(np.ascontiguousarray(values), sums, weights)
