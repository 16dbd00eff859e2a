"""Frames of a level: decoded at half size inside the JPEG decoder, and once per announced read."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from dicom.slide import SlideReadError, WholeSlideImage
from dicom.slide.frame_store import FrameKey, FrameStore
from tests.dicom.slide.conftest import ConformantSlide
from tests.dicom.wsm_files import write_pyramid


def test_jpeg_frames_decode_at_half_size_as_the_level_shrunk(conformant: ConformantSlide) -> None:
    with WholeSlideImage.open(conformant.folder) as slide:
        assert slide.decode_reductions(0) == (2, 4, 8)
        half = slide.read_region_reduced(0, 2, 0, 0, 1260, 1050).astype(float)
    means = conformant.levels[0][:2100, :2520].astype(float).reshape(1050, 2, 1260, 2, 3)
    difference = np.abs(half - means.mean(axis=(1, 3)))
    assert half.shape == (1050, 1260, 3)
    assert difference.mean() < 1.0  # the stored 20x level differs from these means by ~1
    assert np.percentile(difference, 99) < 6


def test_regions_beyond_the_reduced_level_are_refused(conformant: ConformantSlide) -> None:
    with WholeSlideImage.open(conformant.folder) as slide:
        width = slide.levels[0].width // 2
        with pytest.raises(SlideReadError, match="reaches beyond the level"):
            slide.read_region_reduced(0, 2, width - 10, 0, 11, 10)
        with pytest.raises(SlideReadError, match="cannot be decoded at 1/3 size"):
            slide.read_region_reduced(0, 3, 0, 0, 10, 10)


def test_uncompressed_levels_offer_no_reduction(tmp_path: Path) -> None:
    image = (np.random.default_rng(0).random((128, 128, 3)) * 255).astype(np.uint8)
    write_pyramid(tmp_path, image, spacing_um=0.25, levels=2, tile=64)
    with WholeSlideImage.open(tmp_path) as slide:
        assert slide.decode_reductions(0) == ()
        with pytest.raises(SlideReadError, match="cannot be decoded at 1/2 size"):
            slide.read_region_reduced(0, 2, 0, 0, 10, 10)


def overlapping_windows(
    width: int, height: int, side: int, step: int
) -> list[tuple[int, int, int, int]]:
    """Windows of `side` pixels every `step` pixels, row by row, clipped to the level."""
    return [
        (x, y, min(side, width - x), min(side, height - y))
        for y in range(0, height, step)
        for x in range(0, width, step)
    ]


def test_announced_reads_decode_every_frame_once(conformant: ConformantSlide) -> None:
    base = conformant.levels[0]
    windows = overlapping_windows(base.shape[1], base.shape[0], 600, 500)
    with WholeSlideImage.open(conformant.folder) as slide:
        slide.expect_regions(0, 1, windows)
        with ThreadPoolExecutor(4) as pool:
            regions = list(pool.map(lambda box: slide.read_region(0, *box), windows))
        used = slide.frames_used(0, 1, windows)
        assert slide.decoded_frames == used == 10 * 9  # 2522 x 2101 in 256 px frames
    for (x, y, width, height), region in zip(windows, regions, strict=True):
        assert np.array_equal(region, base[y : y + height, x : x + width])


class CountingDecoder:
    """Decodes a frame to a constant image and counts the decodes per frame."""

    def __init__(self, fail: FrameKey | None = None) -> None:
        self.decodes: Counter[FrameKey] = Counter()
        self.fail = fail
        self._lock = threading.Lock()

    def __call__(self, key: FrameKey) -> np.ndarray:
        with self._lock:
            self.decodes[key] += 1
        if key == self.fail:
            self.fail = None
            raise ValueError("corrupt frame")
        return np.full((2, 2, 3), key[0], dtype=np.uint8)


def test_announced_frames_are_held_until_their_last_read() -> None:
    decoder = CountingDecoder()
    store = FrameStore(decoder, recent_frames=1)
    store.expect(Counter({(0, 0): 3, (1, 0): 1}))
    store.take((0, 0))
    assert store.held == 1
    store.take((1, 0))  # its only read: never held
    store.take((2, 0))  # not announced: a recent frame
    store.take((3, 0))  # pushes (2, 0) out of the one recent place
    store.take((0, 0))
    store.take((0, 0))
    assert store.held == 0
    store.take((2, 0))
    assert decoder.decodes == Counter({(0, 0): 1, (1, 0): 1, (2, 0): 2, (3, 0): 1})
    assert store.decoded == 5


def test_threads_wanting_one_frame_decode_it_once() -> None:
    decoder = CountingDecoder()
    store = FrameStore(decoder, recent_frames=1)
    store.expect(Counter({(5, 5): 16}))
    with ThreadPoolExecutor(8) as pool:
        frames = list(pool.map(lambda _: store.take((5, 5)), range(16)))
    assert decoder.decodes[(5, 5)] == 1
    assert all(frame[0, 0, 0] == 5 for frame in frames)


def test_a_frame_that_failed_is_decoded_again() -> None:
    decoder = CountingDecoder(fail=(1, 1))
    store = FrameStore(decoder, recent_frames=4)
    store.expect(Counter({(1, 1): 2}))
    with pytest.raises(ValueError, match="corrupt frame"):
        store.take((1, 1))
    assert store.take((1, 1))[0, 0, 0] == 1
    assert decoder.decodes[(1, 1)] == 2
