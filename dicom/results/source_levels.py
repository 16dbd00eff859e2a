"""The source slide as results need it: the headers of its pyramid levels, largest first."""

from collections.abc import Iterable, Sequence
from pathlib import Path

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import VLWholeSlideMicroscopyImageStorage

from dicom.results.errors import ResultWriteError


def read_source_levels(paths: Iterable[Path]) -> tuple[Dataset, ...]:
    """Headers (no pixel data) of a slide's pyramid levels, largest first.

    Label, overview and thumbnail images are left out, and so are further focal planes or
    optical paths of a size already seen. Every level must belong to one series and one frame
    of reference, as results are written against the slide's coordinate system.
    """
    levels: dict[tuple[int, int], Dataset] = {}
    for path in sorted(paths):
        dataset = _read_header(path)
        if _is_pyramid_level(dataset):
            levels.setdefault(matrix_shape(dataset), dataset)
    if not levels:
        raise ResultWriteError(
            "none of the source files is a VOLUME image of a VL Whole Slide Microscopy slide; "
            "pass the files of the slide the probability map was computed on"
        )
    ordered = tuple(sorted(levels.values(), key=lambda level: -level.TotalPixelMatrixColumns))
    _check_one_slide(ordered)
    return ordered


def matrix_shape(level: Dataset) -> tuple[int, int]:
    """(rows, columns) of a level's total pixel matrix."""
    return int(level.TotalPixelMatrixRows), int(level.TotalPixelMatrixColumns)


def level_index_of_map(levels: Sequence[Dataset], shape: tuple[int, ...]) -> int:
    """The index of the level whose total pixel matrix the probability map coincides with."""
    for index, level in enumerate(levels):
        if matrix_shape(level) == tuple(shape):
            return index
    sizes = ", ".join(f"{rows} x {columns}" for rows, columns in map(matrix_shape, levels))
    raise ResultWriteError(
        f"the probability map has shape {tuple(shape)} (rows, columns) but no level of the slide "
        f"has that size (levels: {sizes}); compute the map on the grid of one pyramid level"
    )


def _read_header(path: Path) -> Dataset:
    try:
        return dcmread(path, stop_before_pixels=True)
    except (InvalidDicomError, OSError, ValueError) as error:
        raise ResultWriteError(f"cannot read the source file {path}: {error}") from error


def _is_pyramid_level(dataset: Dataset) -> bool:
    image_type = list(dataset.get("ImageType", []))
    return (
        dataset.get("SOPClassUID") == VLWholeSlideMicroscopyImageStorage
        and len(image_type) > 2
        and image_type[2] == "VOLUME"
        and "TotalPixelMatrixRows" in dataset
    )


def _check_one_slide(levels: Sequence[Dataset]) -> None:
    for attribute in ("SeriesInstanceUID", "FrameOfReferenceUID"):
        values = {str(level.get(attribute, "")) for level in levels}
        if len(values) != 1 or "" in values:
            raise ResultWriteError(
                f"the source levels must share one {attribute}; found {sorted(values)}: pass "
                "the files of one slide"
            )
