"""Tiles read in background threads, ahead of the model, into batches (a bounded queue).

A producer thread keeps `depth` batches in flight on a pool of reader threads and hands
finished batches, in order, to the model's threads through a queue of `depth` places, so
memory is bounded by 2 x depth batches whatever the slide's size. A reader's error ends
the run: every consumer gets it at its next `get`, and nothing waits forever.

The batches come from a `TileFeed`; several producers (one per device) may share one, each
taking the next batch of tiles when it has room: a faster device reads and runs more.
"""

import contextlib
import queue
import threading
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import torch

from inference.errors import InferenceError
from inference.reading import BACKGROUND, read_window_into
from inference.source import RegionSource
from inference.tiling import AnalysisGrid, Tile, TileLayout, read_side, read_window

_POLL_S = 0.1
GEOMETRY_COLUMNS = 6  # kept x, kept y, valid width, valid height, offset x, offset y


@dataclass(frozen=True)
class TileBatch:
    """Tiles ready for the model; rows of `pixels` past len(tiles) (if any) are white filler."""

    tiles: list[Tile]
    pixels: torch.Tensor
    geometry: torch.Tensor


@dataclass(frozen=True)
class _Failure:
    error: BaseException


class _End:
    pass


_END = _End()
_Item = TileBatch | _Failure | _End


@dataclass(frozen=True)
class ReadPlan:
    """What to read: the source, the grid on it, the tiles and how they are batched."""

    source: RegionSource
    grid: AnalysisGrid
    layout: TileLayout
    tiles: Sequence[Tile]
    batch_size: int
    # Fill the last batch up to batch_size with white tiles: only where one fixed shape pays
    # off (CUDA with cuDNN's autotuning, compiled models); elsewhere filler is wasted work.
    pad_last_batch: bool = False


class TileFeed:
    """A plan's tiles cut into batches, handed out once each, in order, to whoever asks."""

    def __init__(self, tiles: Sequence[Tile], batch_size: int) -> None:
        self._tiles = tiles
        self._size = batch_size
        self._next = 0
        self._lock = threading.Lock()

    def take(self) -> list[Tile] | None:
        """The next batch's tiles; None when every batch was taken or the feed was closed."""
        with self._lock:
            start = self._next
            if start >= len(self._tiles):
                return None
            self._next = start + self._size
        return list(self._tiles[start : start + self._size])

    def close(self) -> None:
        """Hand out nothing more."""
        with self._lock:
            self._next = len(self._tiles)


class BatchProducer:
    """Reads tiles into batches in background threads; consumers call `get`.

    The tiles come from `feed` (shared with other producers), or else all of the plan's.
    """

    def __init__(
        self,
        plan: ReadPlan,
        threads: int,
        depth: int,
        pin_memory: bool,
        feed: TileFeed | None = None,
    ) -> None:
        self._plan = plan
        self._feed = feed or TileFeed(plan.tiles, plan.batch_size)
        self._threads = threads
        self._depth = depth
        self._pin = pin_memory
        self._side = read_side(plan.grid, plan.layout)
        self._bounds = plan.grid.read_bounds(plan.source.levels[plan.grid.level])
        self._queue: queue.Queue[_Item] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._reading_s = 0.0
        self._terminal: _Failure | _End | None = None
        self._thread = threading.Thread(target=self._produce, name="pathsentry-batches")

    def __enter__(self) -> "BatchProducer":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def reading_s(self) -> float:
        """Seconds the reader threads spent reading, summed over threads."""
        return self._reading_s

    def get(self) -> TileBatch | None:
        """The next batch, or None when all are done; raises the error that stopped reading."""
        while True:
            try:
                item: _Item = self._queue.get(timeout=_POLL_S)
            except queue.Empty:
                stopped = self._terminal or self._check_alive()
                if stopped is None:
                    continue
                item = stopped
            if isinstance(item, TileBatch):
                return item
            self._terminal = item  # every consumer sees the end, or the error
            with contextlib.suppress(queue.Full):
                self._queue.put_nowait(item)
            if isinstance(item, _Failure):
                raise item.error
            return None

    def _check_alive(self) -> _Item | None:
        if self._thread.is_alive() or not self._queue.empty():
            return None
        return self._terminal or _Failure(
            InferenceError("the tile reader stopped without finishing")
        )

    def close(self) -> None:
        """Stop reading (if still running) and wait for the threads."""
        self._stop.set()
        while self._thread.is_alive():
            self._drain()
            self._thread.join(_POLL_S)

    def _produce(self) -> None:
        pool = ThreadPoolExecutor(self._threads, thread_name_prefix="pathsentry-read")
        try:
            pending: deque[tuple[TileBatch, list[Future[None]]]] = deque()
            while not self._stop.is_set() and (chunk := self._feed.take()) is not None:
                pending.append(self._submit(pool, chunk))
                if len(pending) >= self._depth:
                    self._emit(*pending.popleft())
            while pending and not self._stop.is_set():
                self._emit(*pending.popleft())
            self._put(_END)
        except BaseException as error:  # noqa: BLE001 - thread boundary: hand it to the consumers
            self._put(_Failure(error))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _submit(
        self, pool: ThreadPoolExecutor, tiles: list[Tile]
    ) -> tuple[TileBatch, list[Future[None]]]:
        size = self._plan.batch_size if self._plan.pad_last_batch else len(tiles)
        pixels = torch.empty(
            (size, self._side, self._side, 3), dtype=torch.uint8, pin_memory=self._pin
        )
        geometry = torch.zeros((size, GEOMETRY_COLUMNS), dtype=torch.float64, pin_memory=self._pin)
        slots = pixels.numpy()
        slots[len(tiles) :] = BACKGROUND
        rows = geometry.numpy()
        futures = [
            pool.submit(self._read, tile, slots[index], rows[index])
            for index, tile in enumerate(tiles)
        ]
        return TileBatch(tiles, pixels, geometry), futures

    def _emit(self, batch: TileBatch, futures: list[Future[None]]) -> None:
        for future in futures:
            future.result()
        self._put(batch)

    def _read(self, tile: Tile, slot: np.ndarray, row: np.ndarray) -> None:
        started = time.perf_counter()
        window = read_window(self._plan.grid, self._plan.layout, tile)
        kept = tile.kept
        row[:] = (kept.origin.x, kept.origin.y, kept.size.width, kept.size.height, *window.offset)
        what = f"tile {tile.index} (kept area at {kept.origin.x}, {kept.origin.y})"
        grid = self._plan.grid
        read_window_into(
            self._plan.source, grid.level, window.region, self._bounds, slot, what, grid.reduction
        )
        with self._lock:
            self._reading_s += time.perf_counter() - started

    def _put(self, item: _Item) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_POLL_S)
                return
            except queue.Full:
                continue

    def _drain(self) -> None:
        try:
            while True:
                self._queue.get_nowait()
        except queue.Empty:
            pass
