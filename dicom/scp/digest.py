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
# Chunks (PDU fragments, up to max_pdu_size each) waiting to be hashed: bounds the memory.
QUEUED_CHUNKS = 8


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
        self._chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=QUEUED_CHUNKS)
        self._digest = DataSetDigest()
        self._thread = threading.Thread(target=self._run, name="incoming-digest", daemon=True)
        self._thread.start()

    def add(self, chunk: bytes) -> None:
        """Queue the next written chunk (blocks while QUEUED_CHUNKS wait)."""
        self._chunks.put(chunk)

    def finish(self) -> str:
        """The digest of everything added."""
        self.abandon()
        return self._digest.hexdigest()

    def abandon(self) -> None:
        """Stop the thread (after the chunks already queued); idempotent."""
        if self._thread.is_alive():
            self._chunks.put(None)
            self._thread.join()

    def _run(self) -> None:
        while (chunk := self._chunks.get()) is not None:
            self._digest.update(chunk)
