"""A dilated ResNet backbone whose parameter names match torchvision's ResNet."""

import torch
from torch import nn

# Blocks per layer for each depth, as in He et al. 2016 and torchvision.
BLOCKS = {18: (2, 2, 2, 2), 34: (3, 4, 6, 3), 50: (3, 4, 6, 3), 101: (3, 4, 23, 3)}


def conv3x3(inputs: int, outputs: int, stride: int = 1, dilation: int = 1) -> nn.Conv2d:
    """A 3x3 convolution that keeps the size (at stride 1) for any dilation."""
    return nn.Conv2d(
        inputs, outputs, 3, stride=stride, padding=dilation, dilation=dilation, bias=False
    )


def conv1x1(inputs: int, outputs: int, stride: int = 1) -> nn.Conv2d:
    """A 1x1 convolution without bias (a batch norm follows)."""
    return nn.Conv2d(inputs, outputs, 1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with a shortcut (ResNet-18/34); dilation is allowed here."""

    expansion = 1

    def __init__(
        self,
        inputs: int,
        planes: int,
        stride: int = 1,
        downsample: nn.Module | None = None,
        dilation: int = 1,
    ) -> None:
        super().__init__()
        self.conv1 = conv3x3(inputs, planes, stride, dilation)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes, 1, dilation)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        result: torch.Tensor = self.relu(self.bn2(self.conv2(out)) + shortcut)
        return result


class Bottleneck(nn.Module):
    """1x1, 3x3 (strided, dilated), 1x1 convolutions with a shortcut (ResNet v1.5)."""

    expansion = 4

    def __init__(
        self,
        inputs: int,
        planes: int,
        stride: int = 1,
        downsample: nn.Module | None = None,
        dilation: int = 1,
    ) -> None:
        super().__init__()
        self.conv1 = conv1x1(inputs, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, stride, dilation)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        result: torch.Tensor = self.relu(self.bn3(self.conv3(out)) + shortcut)
        return result


class DilatedResNet(nn.Module):
    """ResNet without pooling and classifier; the last layers trade stride for dilation."""

    def __init__(self, depth: int, width: int, output_stride: int) -> None:
        super().__init__()
        block = Bottleneck if depth >= 50 else BasicBlock
        # Layers 3 and 4 keep stride 8 when dilated; at stride 16 only layer 4 is.
        dilate = (False, output_stride == 8, True)
        self._inputs = width
        self._dilation = 1
        self.conv1 = nn.Conv2d(3, width, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        blocks = BLOCKS[depth]
        self.layer1 = self._layer(block, width, blocks[0], 1, False)
        self.layer2 = self._layer(block, width * 2, blocks[1], 2, dilate[0])
        self.layer3 = self._layer(block, width * 4, blocks[2], 2, dilate[1])
        self.layer4 = self._layer(block, width * 8, blocks[3], 2, dilate[2])
        self.out_channels = width * 8 * block.expansion

    def _layer(
        self,
        block: type[BasicBlock] | type[Bottleneck],
        planes: int,
        count: int,
        stride: int,
        dilate: bool,
    ) -> nn.Sequential:
        first_dilation = self._dilation
        if dilate:
            self._dilation *= stride
            stride = 1
        downsample = None
        if stride != 1 or self._inputs != planes * block.expansion:
            downsample = nn.Sequential(
                conv1x1(self._inputs, planes * block.expansion, stride),
                nn.BatchNorm2d(planes * block.expansion),
            )
        layers = [block(self._inputs, planes, stride, downsample, first_dilation)]
        self._inputs = planes * block.expansion
        layers += [block(self._inputs, planes, dilation=self._dilation) for _ in range(count - 1)]
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        features: torch.Tensor = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return features
