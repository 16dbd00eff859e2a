"""Files that appear complete or not at all: written beside their name, synced, then renamed.

The one atomic-write helper of the project: dicom (results, exports, synthetic slides) and
inference (training checkpoints) both write through it, which the folder rule allows because
both may import config.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


def partial_path(path: Path) -> Path:
    """Where a file is written before it gets its name (hidden, so importers skip it)."""
    return path.with_name(f".{path.name}.partial")


@contextmanager
def atomic_write(path: Path) -> Iterator[BinaryIO]:
    """A binary stream whose content appears under `path` only once the block ends normally.

    On any error (or interruption) the partial file is removed and `path` is left as it was.
    """
    partial = partial_path(path)
    try:
        with partial.open("wb") as target:
            yield target
            target.flush()
            os.fsync(target.fileno())
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
