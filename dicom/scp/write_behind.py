"""Writing a file back to disk while it is still being received.

Success is answered only once an instance is synced; syncing hundreds of megabytes at the end
would add their whole write-back time to the transfer. A thread per incoming file syncs what
has been written every WRITE_BEHIND_BYTES instead, so the disk writes while the network
receives, and the final sync has little left to do.
"""

import os
import threading

WRITE_BEHIND_BYTES = 32 * 2**20


class WriteBehind:
    """Syncs an open file's data in steps as it grows, on a thread of its own."""

    def __init__(self, descriptor: int) -> None:
        self._descriptor = descriptor
        self._changed = threading.Condition()
        self._written = 0
        self._synced = 0
        self._closing = False
        self.error: OSError | None = None
        self._thread = threading.Thread(target=self._run, name="incoming-sync", daemon=True)
        self._thread.start()

    def wrote(self, count: int) -> None:
        """Note `count` more bytes written."""
        with self._changed:
            self._written += count
            if self._written - self._synced >= WRITE_BEHIND_BYTES:
                self._changed.notify()

    def stop(self) -> None:
        """Stop syncing (the caller syncs the rest, or discards the file); idempotent."""
        with self._changed:
            self._closing = True
            self._changed.notify()
        self._thread.join()

    def _run(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(self._due)
                if self._closing:
                    return
                target = self._written
            try:
                os.fdatasync(self._descriptor)
            except OSError as error:
                self.error = error
                return
            with self._changed:
                self._synced = target

    def _due(self) -> bool:
        return self._closing or self._written - self._synced >= WRITE_BEHIND_BYTES
