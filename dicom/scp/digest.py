"""The digest of a received data set, computed on a thread of its own while the data arrives.

The receiving thread only receives and writes; a second thread hashes each chunk after it. On
a machine with a spare core the digest then costs no receive time at all.
"""

import hashlib
import queue
import threading

# pynetdicom writes the preamble (128), "DICM" (4) and the File Meta Information, whose first
# element is its group length (UL): tag 4, VR 2, length 2, value 4 bytes.
_META_LENGTH_END = 144
# Chunks (PDU fragments, up to max_pdu_size each) go to the digest thread in batches of about
# BATCH_BYTES (one hand-over per batch, not per chunk); QUEUED_BATCHES waiting bound the memory.
BATCH_BYTES = 2**20
QUEUED_BATCHES = 4


class DataSetDigest:
    """SHA-256 of the data set as the sender sent it, skipping the File Meta Information.

    pynetdicom writes the meta (with its own implementation UID and version) in front of the
    received bytes; leaving it out keeps the digest of an instance stable across versions.
    """

    def __init__(self) -> None:
        self._sha = hashlib.sha256()
        self._head = bytearray()
        self._start: int | None = None
        self._seen = 0

    def update(self, chunk: bytes) -> None:
        """Add the next bytes of the file."""
        if self._start is None:
            self._head += chunk
            if len(self._head) < _META_LENGTH_END:
                return
            length_field = self._head[_META_LENGTH_END - 4 : _META_LENGTH_END]
            self._start = _META_LENGTH_END + int.from_bytes(length_field, "little")
            chunk, self._head = bytes(self._head), bytearray()
        skip = max(0, self._start - self._seen)
        if skip < len(chunk):
            self._sha.update(memoryview(chunk)[skip:])
        self._seen += len(chunk)

    def hexdigest(self) -> str:
        """The digest of the data set bytes so far."""
        return self._sha.hexdigest()


class BackgroundDigest:
    """Digests the chunks written to a file, in order, on its own thread."""

    def __init__(self) -> None:
        self._batches: queue.Queue[list[bytes] | None] = queue.Queue(maxsize=QUEUED_BATCHES)
        self._batch: list[bytes] = []
        self._batch_bytes = 0
        self._digest = DataSetDigest()
        self._thread = threading.Thread(target=self._run, name="incoming-digest", daemon=True)
        self._thread.start()

    def add(self, chunk: bytes) -> None:
        """Queue the next written chunk (blocks while QUEUED_BATCHES wait)."""
        self._batch.append(chunk)
        self._batch_bytes += len(chunk)
        if self._batch_bytes >= BATCH_BYTES:
            self._hand_over()

    def finish(self) -> str:
        """The digest of everything added."""
        self.abandon()
        return self._digest.hexdigest()

    def abandon(self) -> None:
        """Stop the thread (after the chunks already queued); idempotent."""
        if self._thread.is_alive():
            self._hand_over()
            self._batches.put(None)
            self._thread.join()

    def _hand_over(self) -> None:
        if self._batch:
            self._batches.put(self._batch)
            self._batch, self._batch_bytes = [], 0

    def _run(self) -> None:
        while (batch := self._batches.get()) is not None:
            for chunk in batch:
                self._digest.update(chunk)
