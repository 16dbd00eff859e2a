"""Writing and digesting a received data set on a thread of its own.

The thread that receives an association's PDUs only collects the fragments of its data set;
a second thread writes them to the file and hashes them, a batch of about BATCH_BYTES at a
time. Receiving, writing and hashing then overlap: the receiving thread, the one every byte
waits for, spends its time reading the connection.
"""

import queue
import threading
from collections.abc import Callable
from typing import Any

from dicom.scp.digest import DataSetDigest

# One hand-over per batch, not per fragment; QUEUED_BATCHES waiting bound the memory held.
BATCH_BYTES = 2**20
QUEUED_BATCHES = 4


class FileWriter:
    """Writes the chunks added to `handle` and digests them, in order, on its own thread; calls
    `written(count)` after each write. After a failed write it writes nothing more."""

    def __init__(self, handle: Any, written: Callable[[int], None]) -> None:
        self._handle = handle
        self._written = written
        self._batches: queue.Queue[list[Any] | None] = queue.Queue(maxsize=QUEUED_BATCHES)
        self._batch: list[Any] = []
        self._batch_bytes = 0
        self._digest = DataSetDigest()
        self.error: OSError | None = None
        self._thread = threading.Thread(target=self._run, name="incoming-write", daemon=True)
        self._thread.start()

    def add(self, chunk: Any) -> None:
        """Queue the next chunk (blocks while QUEUED_BATCHES wait)."""
        self._batch.append(chunk)
        self._batch_bytes += len(chunk)
        if self._batch_bytes >= BATCH_BYTES:
            self._hand_over()

    def finish(self) -> str:
        """Write what is left and stop; the digest of everything added. Check `error` first."""
        self._hand_over()
        self.stop()
        return self._digest.hexdigest()

    def stop(self) -> None:
        """Stop the thread after the batches queued (the one being collected is dropped);
        idempotent."""
        if self._thread.is_alive():
            self._batch, self._batch_bytes = [], 0
            self._batches.put(None)
            self._thread.join()

    def _hand_over(self) -> None:
        if self._batch:
            self._batches.put(self._batch)
            self._batch, self._batch_bytes = [], 0

    def _run(self) -> None:
        while (batch := self._batches.get()) is not None:
            if self.error is not None:
                continue  # keep taking batches, so that nobody waits on a full queue
            try:
                for chunk in batch:
                    self._handle.write(chunk)
                    self._written(len(chunk))
                    self._digest.update(chunk)
            except OSError as error:
                self.error = error
