"""Files that appear complete or not at all: written beside their name, synced, then renamed."""

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from pydicom import dcmwrite
from pydicom.dataset import Dataset

_COPY_CHUNK = 1 << 20


def partial_path(path: Path) -> Path:
    """Where a file is written before it gets its name (hidden, so importers skip it)."""
    return path.with_name(f".{path.name}.partial")


@contextmanager
def _atomic(path: Path) -> Iterator[BinaryIO]:
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


def write_dataset(dataset: Dataset, path: Path) -> None:
    """Writes `dataset` in the DICOM file format under `path`, atomically."""
    with _atomic(path) as target:
        dcmwrite(target, dataset, enforce_file_format=True)


def copy_file(source: Path, target: Path) -> None:
    """Copies `source` to `target` atomically, in chunks (memory stays flat)."""
    with source.open("rb") as origin, _atomic(target) as destination:
        shutil.copyfileobj(origin, destination, _COPY_CHUNK)
