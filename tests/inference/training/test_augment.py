"""Augmentations: geometry moves labels with pixels; colour stays in the paper's ranges."""

import colorsys

import numpy as np
import pytest
import torch

from inference.training import Augmentation, augment
from inference.training.augment import (
    gaussian_kernel,
    hsv_to_rgb,
    jitter_colour,
    motion_kernel,
    rgb_to_hsv,
    shift_hue,
)

NO_PIXEL_CHANGES = Augmentation(
    brightness=0, contrast=0, saturation=0, hue=0, blur_probability=0, motion_blur_probability=0
)


def coded_batch(count: int = 8, size: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    """Images whose red channel encodes each pixel's position, labels encode it too."""
    codes = torch.arange(size * size, dtype=torch.float32).reshape(size, size)
    images = torch.stack([codes / (size * size), codes * 0, codes * 0]).expand(count, -1, -1, -1)
    labels = codes.to(torch.int64).expand(count, -1, -1)
    return images.clone(), labels.clone()


def test_rotations_and_flips_move_labels_with_pixels() -> None:
    images, labels = coded_batch()
    out_images, out_labels = augment(
        images, labels, NO_PIXEL_CHANGES, torch.Generator().manual_seed(4)
    )
    decoded = torch.round(out_images[:, 0] * 256).to(torch.int64)
    assert torch.equal(decoded, out_labels)
    # Every result is one of the 8 symmetries of the square, and not all are the identity.
    assert any(not torch.equal(out, labels[0]) for out in out_labels)


def test_the_same_generator_gives_the_same_augmentation() -> None:
    images, labels = torch.rand(4, 3, 24, 24), torch.zeros(4, 24, 24, dtype=torch.int64)
    first = augment(images, labels, Augmentation(), torch.Generator().manual_seed(9))
    second = augment(images, labels, Augmentation(), torch.Generator().manual_seed(9))
    assert torch.equal(first[0], second[0]) and torch.equal(first[1], second[1])


def test_brightness_factor_stays_within_its_range() -> None:
    only_brightness = Augmentation(brightness=0.2, contrast=0, saturation=0, hue=0)
    image = torch.full((3, 8, 8), 0.5)
    means = [
        float(jitter_colour(image, only_brightness, torch.Generator().manual_seed(seed)).mean())
        for seed in range(200)
    ]
    assert 0.4 <= min(means) < 0.42 and 0.58 < max(means) <= 0.6


def test_hsv_round_trip_and_hue_shift_agree_with_colorsys() -> None:
    rng = np.random.default_rng(0)
    pixels = rng.random((3, 5, 5)).astype(np.float32)
    image = torch.from_numpy(pixels)
    assert torch.allclose(hsv_to_rgb(*rgb_to_hsv(image)), image, atol=1e-6)
    shifted = shift_hue(image, 0.04).numpy()
    for row in range(5):
        for column in range(5):
            hue, saturation, value = colorsys.rgb_to_hsv(*pixels[:, row, column])
            expected = colorsys.hsv_to_rgb((hue + 0.04) % 1.0, saturation, value)
            assert shifted[:, row, column] == pytest.approx(expected, abs=1e-5)


def test_blur_kernels_are_normalised() -> None:
    assert float(gaussian_kernel(1.2).sum()) == pytest.approx(1.0)
    kernel = motion_kernel(7, 0.6)
    assert float(kernel.sum()) == pytest.approx(1.0)
    assert kernel.shape == (7, 7) and int((kernel > 0).sum()) >= 7
