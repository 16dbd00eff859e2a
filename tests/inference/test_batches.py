"""The reader pipeline: order, filler, bounded queue, and errors that never hang."""

import threading

import numpy as np
import pytest

from inference.batches import BatchProducer, ReadPlan, TileBatch
from inference.errors import TileReadError
from inference.tiling import AnalysisGrid, Size, TileLayout, tile_grid
from tests.inference.fixtures import slide

LAYOUT = TileLayout(96, 64)


def plan(source: object, batch_size: int = 3, pad: bool = False) -> ReadPlan:
    grid = AnalysisGrid(0, 0.476, 0.476, Size(400, 300))
    tiles = tile_grid(grid.size, LAYOUT)
    return ReadPlan(source, grid, LAYOUT, tiles, batch_size, pad)  # type: ignore[arg-type]


def all_batches(read_plan: ReadPlan) -> list[TileBatch]:
    batches = []
    with BatchProducer(read_plan, threads=2, depth=2, pin_memory=False) as producer:
        while (batch := producer.get()) is not None:
            batches.append(batch)
    return batches


@pytest.mark.timeout(30)
def test_batches_arrive_in_order_with_white_filler_when_padded() -> None:
    source = slide()
    read_plan = plan(source, pad=True)
    assert len(read_plan.tiles) % 3 != 0  # 35 tiles: the last batch is partial
    batches = []
    with BatchProducer(read_plan, threads=3, depth=2, pin_memory=False) as producer:
        while (batch := producer.get()) is not None:
            batches.append(batch)
        assert producer.get() is None  # the end stays the end
    tiles = [tile for batch in batches for tile in batch.tiles]
    assert tiles == list(read_plan.tiles)
    last = batches[-1]
    assert len(last.tiles) == len(read_plan.tiles) % 3
    assert last.pixels.shape[0] == 3
    assert (last.pixels[len(last.tiles) :].numpy() == 255).all()
    first = batches[0].pixels[0].numpy()
    expected = np.full((96, 96, 3), 255, dtype=np.uint8)
    expected[16:, 16:] = source.read_region(0, 0, 0, 80, 80)
    assert np.array_equal(first, expected)
    assert batches[0].geometry[1].tolist() == [64, 0, 64, 64, 0, 0]


@pytest.mark.timeout(30)
def test_the_last_batch_holds_only_its_tiles_when_not_padded() -> None:
    batches = all_batches(plan(slide()))
    assert [batch.pixels.shape[0] for batch in batches] == [3] * 11 + [2]
    assert [batch.geometry.shape[0] for batch in batches] == [3] * 11 + [2]


class Broken:
    def __init__(self) -> None:
        self._source = slide()
        self.calls = 0
        self._lock = threading.Lock()

    @property
    def levels(self):  # type: ignore[no-untyped-def]
        return self._source.levels

    def read_region(self, level: int, x: int, y: int, width: int, height: int) -> np.ndarray:
        with self._lock:
            self.calls += 1
        raise ValueError("corrupt JPEG frame")


@pytest.mark.timeout(30)
def test_a_reader_error_reaches_every_consumer_and_stops_reading() -> None:
    source = Broken()
    with BatchProducer(plan(source, 2), threads=2, depth=2, pin_memory=False) as producer:
        with pytest.raises(TileReadError, match="corrupt JPEG frame"):
            producer.get()
        with pytest.raises(TileReadError):
            producer.get()
    assert source.calls <= 2 * 2 * 2  # at most the batches in flight were tried


@pytest.mark.timeout(30)
def test_closing_early_does_not_hang() -> None:
    producer = BatchProducer(plan(slide(), 1), threads=2, depth=1, pin_memory=False)
    with producer:
        assert producer.get() is not None
    assert not any(thread.name == "pathsentry-batches" for thread in threading.enumerate())
