"""Every device has its own reader threads, fed from one shared list of tile batches."""

import threading

import numpy as np
import pytest
import torch

from inference.batches import BatchProducer, ReadPlan, TileFeed
from inference.memory_source import ArraySource
from inference.replica import Replica
from inference.tiling import AnalysisGrid, Size, TileLayout, tile_grid
from tests.inference.fixtures import LocalModel, engine, loaded, slide

LAYOUT = TileLayout(96, 64)


def test_a_shared_feed_hands_every_batch_out_once_in_order() -> None:
    grid = AnalysisGrid(0, 0.476, 0.476, Size(400, 300))
    tiles = tile_grid(grid.size, LAYOUT)
    plan = ReadPlan(slide(), grid, LAYOUT, tiles, 3)
    feed = TileFeed(tiles, 3)
    producers = [BatchProducer(plan, 1, 2, False, feed) for _ in range(2)]
    taken: list[list[int]] = [[], []]
    with producers[0], producers[1]:
        # Take alternately until both ends: each producer's batches stay in the feed's order.
        open_ = [0, 1]
        while open_:
            for number in list(open_):
                batch = producers[number].get()
                if batch is None:
                    open_.remove(number)
                else:
                    taken[number].extend(tile.index for tile in batch.tiles)
    assert sorted(taken[0] + taken[1]) == [tile.index for tile in tiles]
    assert all(part == sorted(part) for part in taken)
    assert feed.take() is None


class ThreadRecordingSource:
    """A slide that remembers which threads read its tiles at the analysis level."""

    def __init__(self, source: ArraySource) -> None:
        self._source = source
        self.readers: set[str] = set()
        self._lock = threading.Lock()

    @property
    def levels(self):  # type: ignore[no-untyped-def]
        return self._source.levels

    def read_region(self, level: int, x: int, y: int, width: int, height: int) -> np.ndarray:
        if level == 0:
            with self._lock:
                self.readers.add(threading.current_thread().name)
        return self._source.read_region(level, x, y, width, height)


@pytest.mark.timeout(60)
def test_two_devices_read_with_threads_of_their_own_and_merge_to_the_same_result() -> None:
    model = loaded(LocalModel())
    single = engine(model, reader_threads=1).run(slide())
    double = engine(model, reader_threads=1)
    double.replicas.append(Replica(model, torch.device("cpu"), torch.float32, False))
    source = ThreadRecordingSource(slide())
    merged = double.run(source)
    # One reader thread per device: two threads read tiles (one shared pool had one).
    assert len(source.readers) == 2
    assert merged.statistics.tiles == single.statistics.tiles
    assert np.array_equal(np.sort(merged.top_values), np.sort(single.top_values))
    assert np.allclose(
        merged.probability_map.probabilities, single.probability_map.probabilities, atol=1e-6
    )
    assert np.allclose(merged.probability_map.coverage, single.probability_map.coverage)


class ExplodingModel(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise RuntimeError("the second device broke")


@pytest.mark.timeout(60)
def test_one_device_failing_stops_the_others_readers_and_the_run() -> None:
    model = loaded(LocalModel())
    double = engine(model, batch_size=1)
    broken = Replica(loaded(ExplodingModel()), torch.device("cpu"), torch.float32, False)
    double.replicas.append(broken)
    with pytest.raises(RuntimeError, match="the second device broke"):
        double.run(slide())
    assert not [t for t in threading.enumerate() if t.name.startswith("pathsentry-batches")]
