"""DeepLab v3 (Chen et al. 2017) with module names that match torchvision's deeplabv3."""

import contextlib

import torch
from torch import nn
from torch.nn import functional

from inference.model.config import ModelConfig
from inference.model.resnet import DilatedResNet


def _conv_bn_relu(inputs: int, outputs: int, kernel: int, dilation: int = 1) -> list[nn.Module]:
    padding = dilation if kernel == 3 else 0
    conv = nn.Conv2d(inputs, outputs, kernel, padding=padding, dilation=dilation, bias=False)
    return [conv, nn.BatchNorm2d(outputs), nn.ReLU(inplace=True)]


class ASPPPooling(nn.Sequential):
    """The image-level branch of ASPP: global average, 1x1 convolution, broadcast back."""

    def __init__(self, inputs: int, outputs: int) -> None:
        super().__init__(nn.AdaptiveAvgPool2d(1), *_conv_bn_relu(inputs, outputs, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]
        pooled = x
        for module in self:
            pooled = module(pooled)
        return functional.interpolate(pooled, size=size, mode="bilinear", align_corners=False)


class ASPP(nn.Module):
    """Atrous spatial pyramid pooling: four parallel branches, concatenated and projected."""

    def __init__(self, inputs: int, rates: tuple[int, int, int], channels: int) -> None:
        super().__init__()
        branches: list[nn.Module] = [nn.Sequential(*_conv_bn_relu(inputs, channels, 1))]
        branches += [nn.Sequential(*_conv_bn_relu(inputs, channels, 3, rate)) for rate in rates]
        branches.append(ASPPPooling(inputs, channels))
        self.convs = nn.ModuleList(branches)
        self.project = nn.Sequential(
            *_conv_bn_relu(len(branches) * channels, channels, 1), nn.Dropout(0.5)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = torch.cat([branch(x) for branch in self.convs], dim=1)
        projected: torch.Tensor = self.project(features)
        return projected


class DeepLabHead(nn.Sequential):
    """ASPP, a 3x3 convolution, and the per-pixel classifier (indices as in torchvision)."""

    def __init__(self, config: ModelConfig) -> None:
        channels = config.aspp_channels
        super().__init__(
            ASPP(config.backbone_channels, config.atrous_rates, channels),
            *_conv_bn_relu(channels, channels, 3),
            nn.Conv2d(channels, config.num_classes, 1),
        )


class DeepLabV3(nn.Module):
    """Logits per pixel at the input's size: backbone, head, bilinear upsampling."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.backbone = DilatedResNet(config.depth, config.width, config.output_stride)
        self.classifier = DeepLabHead(config)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self.classifier(self.backbone(x))
        # The upsampled logits are what is thresholded and ranked: interpolate in float32
        # even under autocast (a bfloat16 logit near 4 is only good to 0.03).
        with _without_autocast(x.device.type):
            return functional.interpolate(
                logits.float(), size=x.shape[-2:], mode="bilinear", align_corners=False
            )


def _without_autocast(device_type: str) -> contextlib.AbstractContextManager[object]:
    # The meta device (FLOP counting) has no autocast to turn off; a plain comparison keeps
    # this traceable by torch.compile.
    if device_type == "meta":
        return contextlib.nullcontext()
    return torch.autocast(device_type, enabled=False)


def build_model(config: ModelConfig) -> DeepLabV3:
    """A freshly initialised model in evaluation mode."""
    return DeepLabV3(config).eval()
