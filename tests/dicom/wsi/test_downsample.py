"""Two-fold area averaging, whole or streamed in strips of any height."""

import numpy as np

from dicom.wsi.downsample import RowHalver, halve


def reference(pixels: np.ndarray) -> np.ndarray:
    """Rounded 2 x 2 means, repeating the last row or column when the size is odd."""
    if pixels.shape[0] % 2:
        pixels = np.concatenate([pixels, pixels[-1:]])
    if pixels.shape[1] % 2:
        pixels = np.concatenate([pixels, pixels[:, -1:]], axis=1)
    total = pixels.astype(np.int64)
    total = total[0::2, 0::2] + total[0::2, 1::2] + total[1::2, 0::2] + total[1::2, 1::2]
    return ((total + 2) // 4).astype(np.uint8)


def test_halve_is_the_rounded_block_mean() -> None:
    pixels = np.random.default_rng(0).integers(0, 256, (6, 9, 3), dtype=np.uint8)
    assert np.array_equal(halve(pixels), reference(pixels))
    block = np.array([[[1, 0, 255], [2, 0, 255]], [[2, 1, 255], [2, 0, 254]]], dtype=np.uint8)
    assert halve(block).tolist() == [[[2, 0, 255]]]


def test_streamed_strips_give_the_same_result_as_the_whole() -> None:
    pixels = np.random.default_rng(1).integers(0, 256, (37, 11, 3), dtype=np.uint8)
    halver = RowHalver()
    pieces = [halver.push(pixels[top : top + 5]) for top in range(0, 37, 5)]
    tail = halver.finish()
    assert tail is not None
    assert np.array_equal(np.concatenate([*pieces, tail]), reference(pixels))


def test_an_even_stream_leaves_nothing_behind() -> None:
    halver = RowHalver()
    halver.push(np.zeros((3, 4, 3), dtype=np.uint8))
    halver.push(np.zeros((5, 4, 3), dtype=np.uint8))
    assert halver.finish() is None
