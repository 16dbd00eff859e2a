"""DICOM files written and copied atomically (through config's one atomic-write helper)."""

import shutil
from pathlib import Path

from pydicom import dcmwrite
from pydicom.dataset import Dataset

from config.atomic_file import atomic_write

_COPY_CHUNK = 1 << 20


def write_dataset(dataset: Dataset, path: Path) -> None:
    """Writes `dataset` in the DICOM file format under `path`, atomically."""
    with atomic_write(path) as target:
        dcmwrite(target, dataset, enforce_file_format=True)


def copy_file(source: Path, target: Path) -> None:
    """Copies `source` to `target` atomically, in chunks (memory stays flat)."""
    with source.open("rb") as origin, atomic_write(target) as destination:
        shutil.copyfileobj(origin, destination, _COPY_CHUNK)
