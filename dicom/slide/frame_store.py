"""Decoded frames of one level, each decoded once for the reads that were announced.

The engine announces the regions it will read (`expect`); a frame those regions share stays
decoded until its last announced read has taken it, then it is dropped. Memory is bounded by
the frames still awaited (about one row of frames across the slide when tiles are read row by
row), not by the slide's size, and however wide the slide a frame is never decoded twice.
Reads that were not announced share a small least-recently-used set of frames.
"""

import threading
from collections import Counter, OrderedDict
from collections.abc import Callable
from concurrent.futures import Future

import numpy as np

FrameKey = tuple[int, int]  # column, row of the frame in its level
Decoder = Callable[[FrameKey], np.ndarray]


class FrameStore:
    """Frames decoded by `decode`, shared between the reads of several threads."""

    def __init__(self, decode: Decoder, recent_frames: int) -> None:
        self._decode = decode
        self._recent_limit = max(1, recent_frames)
        self._lock = threading.Lock()
        self._awaited: dict[FrameKey, int] = {}
        self._planned: dict[FrameKey, Future[np.ndarray]] = {}
        self._recent: OrderedDict[FrameKey, Future[np.ndarray]] = OrderedDict()
        self._decoded = 0

    @property
    def decoded(self) -> int:
        """Frames decoded so far (a frame decoded twice counts twice)."""
        return self._decoded

    @property
    def held(self) -> int:
        """Frames held for announced reads still to come."""
        with self._lock:
            return len(self._planned)

    def expect(self, uses: Counter[FrameKey]) -> None:
        """Announce how many coming reads use each frame; replaces any earlier announcement."""
        with self._lock:
            self._awaited = {key: count for key, count in uses.items() if count > 0}
            self._planned.clear()

    def take(self, key: FrameKey) -> np.ndarray:
        """The decoded frame, decoding it unless another read already did or is doing so."""
        with self._lock:
            future = self._planned.get(key) or self._recent.get(key)
            owner = future is None
            if future is None:
                future = Future()
                self._keep(key, future)
                self._decoded += 1
            elif key in self._recent:
                self._recent.move_to_end(key)
            self._use(key)
        if owner:
            self._fill(key, future)
        return future.result()

    def _keep(self, key: FrameKey, future: "Future[np.ndarray]") -> None:
        if self._awaited.get(key, 0) > 1:
            self._planned[key] = future
        elif key not in self._awaited:
            self._recent[key] = future
            while len(self._recent) > self._recent_limit:
                self._recent.popitem(last=False)

    def _use(self, key: FrameKey) -> None:
        left = self._awaited.get(key)
        if left is None:
            return
        if left <= 1:
            del self._awaited[key]
            self._planned.pop(key, None)
        else:
            self._awaited[key] = left - 1

    def _fill(self, key: FrameKey, future: "Future[np.ndarray]") -> None:
        try:
            future.set_result(self._decode(key))
        except BaseException as error:
            future.set_exception(error)
            with self._lock:  # a frame that failed is tried again by the next read
                if self._planned.get(key) is future:
                    del self._planned[key]
                if self._recent.get(key) is future:
                    del self._recent[key]
            raise
