"""The digest of a received data set (dicom.scp.file_writer computes it as it writes)."""

import hashlib

# pynetdicom writes the preamble (128), "DICM" (4) and the File Meta Information, whose first
# element is its group length (UL): tag 4, VR 2, length 2, value 4 bytes.
_META_LENGTH_END = 144


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
