"""The model on one device, and what a batch needs there: transfer, normalisation, precision."""

import contextlib
import copy
from collections.abc import Callable

import torch

from inference.batches import TileBatch
from inference.model import LoadedModel, fold_batch_norm
from inference.resampling import resample
from inference.tiling import AnalysisGrid, TileLayout


class Replica:
    """A copy of the model on `device`: uint8 tiles in, kept-area probabilities out."""

    def __init__(
        self,
        model: LoadedModel,
        device: torch.device,
        precision: torch.dtype,
        compile_model: bool,
    ) -> None:
        self.device = device
        self.precision = precision
        self._cuda = device.type == "cuda"
        # Tiles arrive NHWC; tensor cores and oneDNN's CPU convolutions both run NHWC best.
        self._memory_format = torch.channels_last
        # Folded BatchNorm: one pass fewer over every activation, the same output.
        module = fold_batch_norm(copy.deepcopy(model.module).eval()).to(device)
        module = module.to(memory_format=self._memory_format)  # type: ignore[call-overload]
        self._module: Callable[[torch.Tensor], torch.Tensor] = (
            torch.compile(module, dynamic=False) if compile_model else module
        )
        mean = torch.tensor(model.config.mean, device=device).view(1, 3, 1, 1)
        std = torch.tensor(model.config.std, device=device).view(1, 3, 1, 1)
        self._scale = 1 / (255 * std)
        self._shift = -mean / std
        self._copy_stream = (
            torch.cuda.Stream(device)  # type: ignore[no-untyped-call]
            if self._cuda
            else None
        )

    def transfer(self, batch: TileBatch) -> tuple[torch.Tensor, torch.Tensor]:
        """Pixels and geometry on the device; on CUDA copied on a side stream, not waited for."""
        if self._copy_stream is None:
            return batch.pixels, batch.geometry
        with torch.cuda.stream(self._copy_stream):
            pixels = batch.pixels.to(self.device, non_blocking=True)
            geometry = batch.geometry.to(self.device, non_blocking=True)
        compute = torch.cuda.current_stream(self.device)
        compute.wait_stream(self._copy_stream)
        pixels.record_stream(compute)
        geometry.record_stream(compute)
        return pixels, geometry

    def logits(
        self,
        pixels: torch.Tensor,
        geometry: torch.Tensor,
        grid: AnalysisGrid,
        layout: TileLayout,
    ) -> torch.Tensor:
        """(N, keep, keep) logits of the kept areas of a batch of uint8 NHWC tiles (the
        sigmoid is the folding's: `inference.folding`)."""
        tiles = pixels.permute(0, 3, 1, 2).float()  # channels_last strides, one pass
        if grid.resampled:
            tiles = resample(tiles, geometry[:, 4:6], grid.scale, grid.prefilter, layout.size)
        tiles = tiles.contiguous(memory_format=self._memory_format)
        tiles = tiles.mul_(self._scale).add_(self._shift)
        with self._autocast():
            logits = self._module(tiles)
        margin = layout.margin
        return logits[:, 0, margin : margin + layout.keep, margin : margin + layout.keep]

    def forward(self, tiles: torch.Tensor) -> torch.Tensor:
        """The bare model on normalised tiles, at this replica's precision (for benchmarks)."""
        with self._autocast():
            logits: torch.Tensor = self._module(tiles)
        return logits

    def sample_input(self, batch_size: int, size: int) -> torch.Tensor:
        """Normalised random tiles in this replica's layout (for warm-up and benchmarks)."""
        tiles = torch.rand(batch_size, 3, size, size, device=self.device)
        return (tiles * 255 * self._scale + self._shift).contiguous(
            memory_format=self._memory_format
        )

    def _autocast(self) -> contextlib.AbstractContextManager[object]:
        if self.precision == torch.float32:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.precision)
