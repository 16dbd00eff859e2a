"""The streaming pyramid: rows flow into a level, leave as JPEG frames, and flow on halved."""

import numpy as np

from dicom.wsi.downsample import RowHalver
from dicom.wsi.geometry import ImageGeometry
from dicom.wsi.jpeg import TileEncoder, strip_tiles
from dicom.wsi.spool import FrameSpool


class LevelSink:
    """One level being written; it holds at most one row of tiles, whatever the slide size."""

    def __init__(
        self,
        geometry: ImageGeometry,
        spool: FrameSpool,
        encoder: TileEncoder,
        below: "LevelSink | None" = None,
    ) -> None:
        self.geometry = geometry
        self._spool = spool
        self._encoder = encoder
        self._below = below
        self._halver = RowHalver()
        self._pending: list[np.ndarray] = []
        self._pending_rows = 0
        self._rows_seen = 0

    def push(self, rows: np.ndarray) -> None:
        """Takes the next rows (top to bottom) of this level's full width."""
        if rows.shape[1:] != (self.geometry.width, 3):
            raise ValueError(f"rows of shape {rows.shape} do not fit width {self.geometry.width}")
        if not rows.shape[0]:
            return
        self._pending.append(rows)
        self._pending_rows += rows.shape[0]
        self._rows_seen += rows.shape[0]
        if self._rows_seen > self.geometry.height:
            raise ValueError(f"more than {self.geometry.height} rows pushed")
        while self._pending_rows >= self.geometry.tile_height:
            self._emit(self._take(self.geometry.tile_height))

    def finish(self) -> None:
        """Writes the last, partial row of tiles and finishes the levels below."""
        if self._rows_seen != self.geometry.height:
            raise ValueError(f"{self._rows_seen} of {self.geometry.height} rows were pushed")
        if self._pending_rows:
            self._emit(self._take(self._pending_rows))
        if self._below is not None:
            tail = self._halver.finish()
            if tail is not None:
                self._below.push(tail)
            self._below.finish()

    def _take(self, count: int) -> np.ndarray:
        strip = np.concatenate(self._pending) if len(self._pending) > 1 else self._pending[0]
        rest = strip[count:]
        self._pending = [rest] if rest.shape[0] else []
        self._pending_rows = rest.shape[0]
        return strip[:count]

    def _emit(self, strip: np.ndarray) -> None:
        # The tiles encode on the encoder's threads while this thread feeds the level below.
        frames = self._encoder.encode(strip_tiles(strip, self.geometry))
        if self._below is not None:
            self._below.push(self._halver.push(strip))
        for frame in frames:
            self._spool.append(frame)
