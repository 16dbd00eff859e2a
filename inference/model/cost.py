"""The arithmetic a model's forward pass does, counted from its operators (not timed)."""

import copy

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


def forward_flops(module: nn.Module, tile_size: int, batch: int = 1) -> int:
    """Floating-point operations (2 per multiply-add) of one forward pass on square tiles."""
    # On the meta device no arithmetic runs, so even ResNet-50 at 2200 px counts at once.
    shadow = copy.deepcopy(module).to("meta").eval()
    tiles = torch.empty(batch, 3, tile_size, tile_size, device="meta")
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        shadow(tiles)
    return int(counter.get_total_flops())
