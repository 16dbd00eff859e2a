"""Resampling read windows to the analysis grid, on the device, at exact sub-pixel positions."""

import torch
from torch.nn import functional


def resample(
    windows: torch.Tensor, offsets: torch.Tensor, scale: float, prefilter: int, size: int
) -> torch.Tensor:
    """Tiles of `size` pixels sampled from `windows` (N, C, H, W float).

    Input pixel j of tile n lies at offsets[n] + j * scale (x, y) in the windows after a
    `prefilter`-wide box filter; bilinear samples of a box-filtered image do not alias
    when shrinking, and a linear ramp comes through exactly.
    """
    if prefilter > 1:
        windows = functional.avg_pool2d(windows, prefilter, stride=1)
    height, width = windows.shape[-2:]
    steps = torch.arange(size, device=windows.device, dtype=torch.float64) * scale
    x = offsets[:, 0:1].to(torch.float64) + steps
    y = offsets[:, 1:2].to(torch.float64) + steps
    # grid_sample's normalised coordinates, pixel centres at (2 p + 1) / extent - 1.
    grid_x = ((2 * x + 1) / width - 1)[:, None, :].expand(-1, size, -1)
    grid_y = ((2 * y + 1) / height - 1)[:, :, None].expand(-1, -1, size)
    grid = torch.stack((grid_x, grid_y), dim=-1).to(windows.dtype)
    return functional.grid_sample(
        windows, grid, mode="bilinear", padding_mode="border", align_corners=False
    )
