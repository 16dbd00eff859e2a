"""The augmentations of Song et al., in torch on a batch, drawn from an explicit generator.

Rotations by 90, 180 and 270 degrees and flips move pixels and labels together; Gaussian
and motion blur and colour jitter change pixels only. Jitter magnitudes read as
torchvision's ColorJitter does: brightness 0.2 scales by a factor drawn from [0.8, 1.2];
hue 0.04 turns the hue by up to 0.04 of a full turn either way.
"""

import math
from dataclasses import dataclass

import torch
from torch.nn import functional

_LUMA = (0.299, 0.587, 0.114)


@dataclass(frozen=True)
class Augmentation:
    """How strongly patches are varied; the defaults are the paper's ranges."""

    rotate: bool = True
    flip: bool = True
    brightness: float = 0.2
    contrast: float = 0.2
    saturation: float = 0.25
    hue: float = 0.04
    blur_probability: float = 0.25
    max_blur_sigma: float = 1.5
    motion_blur_probability: float = 0.25
    max_motion_length: int = 9


def augment(
    images: torch.Tensor,
    labels: torch.Tensor,
    augmentation: Augmentation,
    generator: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Augmented copies of `images` (N, 3, H, W float in [0, 1]) and `labels` (N, H, W)."""
    out_images, out_labels = [], []
    for image, label in zip(images, labels, strict=True):
        image, label = _orient(image, label, augmentation, generator)
        image = _blur(image, augmentation, generator)
        image = jitter_colour(image, augmentation, generator)
        out_images.append(image)
        out_labels.append(label)
    return torch.stack(out_images), torch.stack(out_labels)


def _uniform(generator: torch.Generator, low: float, high: float) -> float:
    return low + (high - low) * float(torch.rand((), generator=generator))


def _orient(
    image: torch.Tensor, label: torch.Tensor, augmentation: Augmentation, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    turns = int(torch.randint(4, (), generator=generator)) if augmentation.rotate else 0
    flips = torch.rand(2, generator=generator) < 0.5 if augmentation.flip else torch.zeros(2)
    image, label = torch.rot90(image, turns, (-2, -1)), torch.rot90(label, turns, (-2, -1))
    axes = [axis for axis, flip in zip((-1, -2), flips.tolist(), strict=True) if flip]
    if axes:
        image, label = torch.flip(image, axes), torch.flip(label, axes)
    return image, label


def _blur(
    image: torch.Tensor, augmentation: Augmentation, generator: torch.Generator
) -> torch.Tensor:
    draws = torch.rand(2, generator=generator).tolist()
    if draws[0] < augmentation.blur_probability:
        sigma = _uniform(generator, 0.3, augmentation.max_blur_sigma)
        image = _convolve(image, gaussian_kernel(sigma))
    if draws[1] < augmentation.motion_blur_probability:
        length = int(torch.randint(3, augmentation.max_motion_length + 1, (), generator=generator))
        angle = _uniform(generator, 0.0, math.pi)
        image = _convolve(image, motion_kernel(length, angle))
    return image


def gaussian_kernel(sigma: float) -> torch.Tensor:
    """A normalised 2-D Gaussian kernel reaching 3 sigma."""
    radius = max(1, math.ceil(3 * sigma))
    steps = torch.arange(-radius, radius + 1, dtype=torch.float32)
    line = torch.exp(-(steps**2) / (2 * sigma**2))
    kernel = line[:, None] * line[None, :]
    return kernel / kernel.sum()


def motion_kernel(length: int, angle: float) -> torch.Tensor:
    """A normalised line of `length` pixels at `angle` (radians): a camera or stage shake."""
    size = length if length % 2 else length + 1
    kernel = torch.zeros(size, size)
    centre = size // 2
    for t in torch.linspace(-(length - 1) / 2, (length - 1) / 2, 4 * length).tolist():
        column = round(centre + t * math.cos(angle))
        row = round(centre + t * math.sin(angle))
        kernel[row, column] = 1.0
    return kernel / kernel.sum()


def _convolve(image: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Each channel convolved with `kernel`, edges reflected so the border stays unshaded."""
    pad = kernel.shape[-1] // 2
    padded = functional.pad(image[None], (pad, pad, pad, pad), mode="reflect")
    weight = kernel.to(image)[None, None].expand(image.shape[0], 1, -1, -1)
    return functional.conv2d(padded, weight, groups=image.shape[0])[0]


def jitter_colour(
    image: torch.Tensor, augmentation: Augmentation, generator: torch.Generator
) -> torch.Tensor:
    """Brightness, contrast, saturation and hue, each by a random amount within its range."""
    b, c, s = augmentation.brightness, augmentation.contrast, augmentation.saturation
    brightness, contrast = _uniform(generator, 1 - b, 1 + b), _uniform(generator, 1 - c, 1 + c)
    saturation = _uniform(generator, 1 - s, 1 + s)
    hue = _uniform(generator, -augmentation.hue, augmentation.hue)
    image = (image * brightness).clamp(0, 1)
    image = _blend(image, grey(image).mean(), contrast)
    image = _blend(image, grey(image)[None], saturation)
    return shift_hue(image, hue)


def grey(image: torch.Tensor) -> torch.Tensor:
    """Luma (H, W) of an RGB image (3, H, W)."""
    return image[0] * _LUMA[0] + image[1] * _LUMA[1] + image[2] * _LUMA[2]


def _blend(image: torch.Tensor, other: torch.Tensor, factor: float) -> torch.Tensor:
    return (factor * image + (1 - factor) * other).clamp(0, 1)


def shift_hue(image: torch.Tensor, shift: float) -> torch.Tensor:
    """The image with its hue turned by `shift` of a full turn (HSV, as torchvision)."""
    if shift == 0:
        return image
    hue, saturation, value = rgb_to_hsv(image)
    return hsv_to_rgb(torch.remainder(hue + shift, 1.0), saturation, value)


def rgb_to_hsv(image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Hue in [0, 1), saturation and value of an RGB image (3, H, W) in [0, 1]."""
    red, green, blue = image[0], image[1], image[2]
    value, _ = image.max(dim=0)
    low, _ = image.min(dim=0)
    chroma = value - low
    safe = torch.where(chroma > 0, chroma, torch.ones_like(chroma))
    hue = torch.where(
        value == red,
        torch.remainder((green - blue) / safe, 6.0),
        torch.where(value == green, (blue - red) / safe + 2.0, (red - green) / safe + 4.0),
    )
    hue = torch.where(chroma > 0, hue / 6.0, torch.zeros_like(hue))
    saturation = torch.where(value > 0, chroma / torch.where(value > 0, value, 1.0), 0.0)
    return hue, saturation, value


def hsv_to_rgb(hue: torch.Tensor, saturation: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    """RGB (3, H, W) of hue in [0, 1), saturation and value."""
    sector = hue * 6.0
    channels = []
    for offset in (5.0, 3.0, 1.0):  # red, green, blue as in the standard f(n) formula
        k = torch.remainder(offset + sector, 6.0)
        weight = torch.clamp(torch.minimum(k, 4.0 - k), 0.0, 1.0)
        channels.append(value - value * saturation * weight)
    return torch.stack(channels).clamp(0, 1)
