"""Per device: its own reader threads, and batches through a replica into its accumulators.

Every device has a BatchProducer of its own (`inference.reader_threads` threads each), all
taking batches from one TileFeed: no device waits for readers busy feeding another, and a
faster device takes more batches. The kept areas of tiles do not overlap, so which device ran
a tile changes nothing but the order of the merge's additions.
"""

import contextlib
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import torch

from inference.batches import BatchProducer, ReadPlan, TileBatch, TileFeed
from inference.folding import BatchFolder, SlideGeometry
from inference.replica import Replica
from inference.stitching import StitchedSlide


class BatchSource(Protocol):
    """Where a device gets its batches; `close` stops the reading (for every device)."""

    def get(self) -> TileBatch | None: ...

    def close(self) -> None: ...


class DeviceReaders:
    """One producer per device over a shared feed of the plan's tiles; closing stops them all."""

    def __init__(self, plan: ReadPlan, devices: int, threads: int, pin_memory: bool) -> None:
        # Enough batches in flight to keep every thread reading, one waiting, one running.
        depth = math.ceil(threads / plan.batch_size) + 2
        self._feed = TileFeed(plan.tiles, plan.batch_size)
        self._producers = [
            BatchProducer(plan, threads, depth, pin_memory, self._feed) for _ in range(devices)
        ]

    def __enter__(self) -> "DeviceReaders":
        for producer in self._producers:
            producer.__enter__()
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def reading_s(self) -> float:
        """Seconds spent reading, summed over every device's threads."""
        return sum(producer.reading_s for producer in self._producers)

    def source(self, device: int) -> BatchSource:
        """The batches of device number `device`."""
        return _DeviceBatches(self, self._producers[device])

    def close(self) -> None:
        """Hand out no more tiles and stop every device's readers."""
        self._feed.close()
        for producer in self._producers:
            producer.close()


@dataclass(frozen=True)
class _DeviceBatches:
    readers: DeviceReaders
    producer: BatchProducer

    def get(self) -> TileBatch | None:
        return self.producer.get()

    def close(self) -> None:
        self.readers.close()


class DeviceRun:
    """One device's share of a slide: runs batches until the producer ends; never raises.

    The engine runs the first device's share in the calling thread (on a CPU the model
    then keeps that thread's warm memory arena) and the others' in DeviceWorker threads;
    a failure is kept, with its time, and stops the producer for everyone.
    """

    def __init__(
        self,
        replica: Replica,
        producer: BatchSource,
        geometry: SlideGeometry,
        on_tiles: Callable[[int], None],
    ) -> None:
        self._replica = replica
        self._producer = producer
        self._geometry = geometry
        self._on_tiles = on_tiles
        self.error: BaseException | None = None
        self.failed_at = math.inf
        self.part: StitchedSlide | None = None
        self.starved_s = 0.0

    def run(self) -> None:
        try:
            with torch.inference_mode(), self._device():
                self.part = self._loop()
        except BaseException as error:  # noqa: BLE001 - kept for the engine, which re-raises it
            self.error = error
            self.failed_at = time.monotonic()
            self._producer.close()

    def _loop(self) -> StitchedSlide:
        replica, geometry = self._replica, self._geometry
        with BatchFolder(geometry, replica.device, self._on_tiles) as folder:
            while (batch := self._next()) is not None:
                pixels, tile_geometry = replica.transfer(batch)
                logits = replica.logits(pixels, tile_geometry, geometry.grid, geometry.layout)
                folder.add(batch, logits, tile_geometry)
            return folder.result()

    def _next(self) -> TileBatch | None:
        started = time.perf_counter()
        batch = self._producer.get()
        self.starved_s += time.perf_counter() - started
        return batch

    def _device(self) -> contextlib.AbstractContextManager[object]:
        if self._replica.device.type == "cuda":
            return torch.cuda.device(self._replica.device)
        return contextlib.nullcontext()


class DeviceWorker(threading.Thread):
    """A thread running one device's share."""

    def __init__(self, share: DeviceRun) -> None:
        super().__init__(name="pathsentry-device", daemon=True)
        self.share = share

    def run(self) -> None:
        self.share.run()
