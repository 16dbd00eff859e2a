"""BatchNorm folded into the convolution before it, for inference (one pass fewer per layer)."""

import torch
from torch import nn


def fold_batch_norm(module: nn.Module) -> nn.Module:
    """Fold every evaluation-mode BatchNorm2d into the Conv2d registered just before it.

    In the models of `inference.model` each BatchNorm directly follows the convolution
    registered before it (as in torchvision), so folding leaves the output unchanged up to
    rounding. Works in place and returns `module`; a module in training mode is refused.
    """
    if module.training:
        raise ValueError("fold_batch_norm needs a module in evaluation mode (call .eval())")
    for parent in list(module.modules()):
        _fold_children(parent)
    return module


def _fold_children(parent: nn.Module) -> None:
    previous: tuple[str, nn.Module] | None = None
    for name, child in list(parent.named_children()):
        if isinstance(child, nn.BatchNorm2d) and previous and isinstance(previous[1], nn.Conv2d):
            _fold(previous[1], child)
            setattr(parent, name, nn.Identity())
        previous = (name, child)


@torch.no_grad()
def _fold(conv: nn.Conv2d, norm: nn.BatchNorm2d) -> None:
    assert norm.running_mean is not None and norm.running_var is not None
    scale = torch.rsqrt(norm.running_var + norm.eps)
    if norm.weight is not None:
        scale = scale * norm.weight
    bias = conv.bias if conv.bias is not None else torch.zeros_like(norm.running_mean)
    shift = (bias - norm.running_mean) * scale
    if norm.bias is not None:
        shift = shift + norm.bias
    conv.weight.mul_(scale.view(-1, 1, 1, 1))
    conv.bias = nn.Parameter(shift)
