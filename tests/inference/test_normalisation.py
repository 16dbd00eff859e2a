"""The readers' normalisation (a table look-up) gives the model's input the device path gives."""

import numpy as np
import torch

from inference.batches import BatchProducer, TileBatch
from inference.normalisation import Normalisation
from tests.inference.fixtures import slide
from tests.inference.test_batches import plan


def normalised_on_device(normalisation: Normalisation, pixels: np.ndarray) -> np.ndarray:
    tiles = torch.from_numpy(pixels).permute(0, 3, 1, 2).float()
    return normalisation.apply_(tiles).permute(0, 2, 3, 1).numpy()


def test_every_level_of_every_channel_is_normalised_as_on_the_device() -> None:
    normalisation = Normalisation.of((0.71, 0.52, 0.68), (0.17, 0.21, 0.19), torch.device("cpu"))
    levels = np.arange(256, dtype=np.uint8)
    pixels = np.stack([levels, levels[::-1], np.roll(levels, 7)], axis=-1)[None, None]
    out = np.empty(pixels.shape[1:], dtype=np.float32)
    normalisation.into(pixels[0], out)
    assert np.array_equal(out, normalised_on_device(normalisation, pixels)[0])


def batches(normalisation: Normalisation | None) -> list[TileBatch]:
    read_plan = plan(slide(), 3, pad=True)  # 35 tiles: white filler in the last batch
    with BatchProducer(read_plan, 2, 2, False, normalisation=normalisation) as producer:
        return list(iter(producer.get, None))


def test_readers_hand_the_model_the_same_input_as_the_uint8_batches_filler_too() -> None:
    normalisation = Normalisation.of((0.6, 0.5, 0.7), (0.2, 0.25, 0.2), torch.device("cpu"))
    raw, ready = batches(None), batches(normalisation)
    assert len(raw) == len(ready) == 12
    for uint8, normalised in zip(raw, ready, strict=True):
        assert normalised.pixels.dtype == torch.float32
        assert normalised.pixels.is_contiguous(memory_format=torch.channels_last)
        expected = normalised_on_device(normalisation, uint8.pixels.numpy())
        assert np.array_equal(normalised.pixels.permute(0, 2, 3, 1).numpy(), expected)
