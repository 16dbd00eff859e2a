"""Non-conformant variants of a conformant WSM slide, written as real scanners and converters do.

Every variant copies the DICOM files of a conformant slide (as `write_synthetic_slide` makes
them: level-0.dcm ... level-N.dcm, label.dcm, overview.dcm) from `source` to `out` with one
kind of defect. The source files are never changed.
"""

import copy
import math
import re
import shutil
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate, generate_frames
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import ImplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid
from wsidicom import WsiDicom

Edit = Callable[[str, Dataset], None]
Variant = Callable[[Path, Path], object]  # (conformant slide folder, output folder)

LABEL_AND_OVERVIEW = ("label.dcm", "overview.dcm")


def level_names(source: Path) -> list[str]:
    """The pyramid level files of a conformant slide, base level first."""
    numbers = [re.fullmatch(r"level-(\d+)\.dcm", path.name) for path in source.iterdir()]
    return [match.string for match in sorted(filter(None, numbers), key=lambda m: int(m[1]))]


def copy_slide(
    source: Path, out: Path, edit: Edit | None = None, names: Iterable[str] | None = None
) -> Path:
    """Copy the slide's DICOM files, passing those in `names` (default: all) through `edit`."""
    out.mkdir(parents=True, exist_ok=True)
    chosen = None if names is None else set(names)
    for path in sorted(source.glob("*.dcm")):
        if edit is None or (chosen is not None and path.name not in chosen):
            shutil.copyfile(path, out / path.name)
            continue
        dataset = dcmread(path)
        edit(path.name, dataset)
        dataset.save_as(out / path.name, enforce_file_format=True)
    return out


def with_image_type(
    source: Path,
    out: Path,
    values: Callable[[list[str]], list[str] | None],
    names: Iterable[str] | None = None,
    keep_frame_type: bool = True,
) -> Path:
    """ImageType replaced by `values(ImageType)` (None removes it) on the levels, or on `names`."""

    def edit(_: str, dataset: Dataset) -> None:
        new = values(list(dataset.ImageType))
        if new is None:
            del dataset.ImageType
        else:
            dataset.ImageType = new
        if not keep_frame_type:
            del dataset.SharedFunctionalGroupsSequence[0].WholeSlideMicroscopyImageFrameTypeSequence

    return copy_slide(source, out, edit, level_names(source) if names is None else names)


def without_pyramid_uid(source: Path, out: Path) -> Path:
    """No PyramidUID (Type 1C, absent in files written before 2021)."""
    return copy_slide(source, out, lambda _, dataset: _delete(dataset, "PyramidUID"))


def without_offset_tables(source: Path, out: Path) -> Path:
    """Empty Basic Offset Table and no Extended Offset Table on every level."""

    def edit(_: str, dataset: Dataset) -> None:
        _set_frames(dataset, frames_of(dataset), has_bot=False)

    return copy_slide(source, out, edit, level_names(source))


def without_dimension_organization_type(source: Path, out: Path) -> Path:
    """No DimensionOrganizationType on the (TILED_FULL) levels."""
    edit: Edit = lambda _, dataset: _delete(dataset, "DimensionOrganizationType")  # noqa: E731
    return copy_slide(source, out, edit, level_names(source))


def without_origin(source: Path, out: Path, names: Iterable[str] | None = None) -> Path:
    """No TotalPixelMatrixOriginSequence on the levels (default: all of them)."""
    edit: Edit = lambda _, dataset: _delete(dataset, "TotalPixelMatrixOriginSequence")  # noqa: E731
    return copy_slide(source, out, edit, level_names(source) if names is None else names)


def without_imaged_volume(source: Path, out: Path) -> Path:
    """No ImagedVolumeWidth and ImagedVolumeHeight on any level."""

    def edit(_: str, dataset: Dataset) -> None:
        _delete(dataset, "ImagedVolumeWidth", "ImagedVolumeHeight")

    return copy_slide(source, out, edit, level_names(source))


def without_pixel_spacing(
    source: Path,
    out: Path,
    names: Iterable[str] | None = None,
    keep_imaged_volume: bool = True,
    at_top_level: bool = False,
) -> Path:
    """PixelSpacing removed from the shared functional groups of the levels (default: all).

    `keep_imaged_volume` keeps ImagedVolumeWidth/Height (from which spacing follows);
    `at_top_level` moves PixelSpacing to the top-level dataset, where some converters put it.
    """

    def edit(_: str, dataset: Dataset) -> None:
        measures = dataset.SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0]
        spacing = list(measures.PixelSpacing)
        del measures.PixelSpacing
        if not keep_imaged_volume:
            _delete(dataset, "ImagedVolumeWidth", "ImagedVolumeHeight")
        if at_top_level:
            dataset.PixelSpacing = spacing

    return copy_slide(source, out, edit, level_names(source) if names is None else names)


def with_non_square_pixels(source: Path, out: Path, ratio: float) -> Path:
    """Pixels `ratio` times wider than high on every level (imaged width scaled to match)."""

    def edit(_: str, dataset: Dataset) -> None:
        measures = dataset.SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0]
        row_spacing, column_spacing = (float(value) for value in measures.PixelSpacing)
        measures.PixelSpacing = [row_spacing, round(column_spacing * ratio, 10)]
        dataset.ImagedVolumeWidth = float(dataset.ImagedVolumeWidth) * ratio

    return copy_slide(source, out, edit, level_names(source))


def sparse(
    source: Path,
    out: Path,
    name: str = "level-0.dcm",
    omitted: Sequence[tuple[int, int]] = (),
    organization_type: str | None = "TILED_SPARSE",
    spacing_per_frame: bool = False,
    per_frame_groups: bool = True,
) -> Path:
    """Level `name` as TILED_SPARSE with a Per-Frame Functional Groups Sequence.

    The tiles at `omitted` (column, row in tiles) are left out (empty tiles).
    `organization_type` None leaves DimensionOrganizationType out; `spacing_per_frame` moves the
    Pixel Measures from the shared to the per-frame functional groups, as some converters do;
    `per_frame_groups` False leaves the tile positions out (nothing says where the frames lie).
    """

    def edit(_: str, dataset: Dataset) -> None:
        tiles = [tile for tile in tile_positions(dataset) if tile not in set(omitted)]
        _make_sparse(dataset, tiles, organization_type, spacing_per_frame)
        if not per_frame_groups:
            del dataset.PerFrameFunctionalGroupsSequence

    return copy_slide(source, out, edit, [name])


def concatenated(
    source: Path, out: Path, name: str = "level-0.dcm", parts: int = 2, attributes: bool = True
) -> Path:
    """Level `name` as a concatenation of `parts` instances (PS3.3 C.7.6.16.2.2.4).

    Without `attributes` the parts do not say they are one (nor which frames they hold).
    """
    dataset = dcmread(source / name)
    frames = frames_of(dataset)
    copy_slide(source, out, names=())
    (out / name).unlink()
    concatenation_uid, size = generate_uid(), math.ceil(len(frames) / parts)
    for number, start in enumerate(range(0, len(frames), size), start=1):
        part = copy.deepcopy(dataset)
        part.SOPInstanceUID = part.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        if attributes:
            part.ConcatenationUID = concatenation_uid
            part.SOPInstanceUIDOfConcatenationSource = dataset.SOPInstanceUID
            part.InConcatenationNumber = number
            part.InConcatenationTotalNumber = parts
            part.ConcatenationFrameOffsetNumber = start
        _set_frames(part, frames[start : start + size])
        part.save_as(out / name.replace(".dcm", f"-part{number}.dcm"), enforce_file_format=True)
    return out


def split_without_concatenation(
    source: Path, out: Path, name: str = "level-0.dcm", parts: int = 2
) -> Path:
    """Level `name` split into `parts` TILED_SPARSE instances that do not say they are one."""
    dataset = dcmread(source / name)
    tiles = tile_positions(dataset)
    copy_slide(source, out, names=())
    (out / name).unlink()
    size = math.ceil(len(tiles) / parts)
    for number, start in enumerate(range(0, len(tiles), size), start=1):
        part = copy.deepcopy(dataset)
        part.SOPInstanceUID = part.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        _make_sparse(part, tiles[start : start + size], "TILED_SPARSE", spacing_per_frame=False)
        part.save_as(out / name.replace(".dcm", f"-part{number}.dcm"), enforce_file_format=True)
    return out


def with_foreign_files(source: Path, out: Path) -> Path:
    """The slide plus files that are not part of it: text, garbage, empty, a non-WSM DICOM, and
    a hidden, half-written copy of a level (as a receiver leaves while writing it)."""
    copy_slide(source, out)
    data = (source / "level-1.dcm").read_bytes()
    (out / ".level-1-again.dcm.partial").write_bytes(data[: len(data) // 2])
    (out / "notes.txt").write_text("not DICOM: ignored\n")
    (out / "garbage.dcm").write_bytes(bytes(range(256)) * 8)
    (out / "empty").write_bytes(b"")
    _secondary_capture().save_as(out / "screenshot.dcm", enforce_file_format=True)
    return out


def with_copies(
    source: Path,
    out: Path,
    names: Iterable[str],
    new_series: bool = True,
    edit: Edit | None = None,
) -> str:
    """The slide plus copies of `names` as new instances ("copy-" names), passed through `edit`.

    With `new_series` the copies are another series of another study (a slide sent to the wrong
    folder); without, more instances of the same series (a level sent twice, or a level
    added). Returns the series UID of the copies.
    """
    copy_slide(source, out)
    uids = {
        keyword: generate_uid()
        for keyword in ("StudyInstanceUID", "SeriesInstanceUID", "FrameOfReferenceUID")
    }
    pyramid_uid = generate_uid()
    for name in names:
        dataset = dcmread(source / name)
        if new_series:
            for keyword, uid in uids.items():
                setattr(dataset, keyword, uid)
            if "PyramidUID" in dataset:
                dataset.PyramidUID = pyramid_uid
        dataset.SOPInstanceUID = dataset.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        if edit is not None:
            edit(name, dataset)
        dataset.save_as(out / f"copy-{name}", enforce_file_format=True)
    return str(dataset.SeriesInstanceUID)


def only(source: Path, out: Path, names: Iterable[str]) -> Path:
    """Only the files `names` of the slide (e.g. its label and overview, without levels)."""
    out.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copyfile(source / name, out / name)
    return out


def truncated(source: Path, out: Path, name: str, keep: float) -> Path:
    """File `name` cut to the first `keep` (a fraction) of its bytes, as an interrupted copy."""
    copy_slide(source, out)
    data = (source / name).read_bytes()
    (out / name).write_bytes(data[: int(len(data) * keep)])
    return out


def with_corrupt_frame(source: Path, out: Path, name: str, frame: int) -> Path:
    """Frame `frame` (0-based) of file `name` replaced by bytes that are not JPEG."""

    def edit(_: str, dataset: Dataset) -> None:
        frames = frames_of(dataset)
        frames[frame] = b"\xff\xd8" + bytes(range(200)) * 4
        _set_frames(dataset, frames)

    return copy_slide(source, out, edit, [name])


def as_native_implicit_vr(source: Path, out: Path) -> Path:
    """Every level decoded to native RGB frames in Implicit VR Little Endian."""
    copy_slide(source, out, names=())
    with WsiDicom.open(source) as wsi:
        for index, name in enumerate(level_names(source)):
            dataset = dcmread(source / name)
            level = wsi.levels[index]
            pixels = wsi.read_region((0, 0), level.level, level.size.to_tuple(), as_array=True)
            _set_native_frames(dataset, np.asarray(pixels)[..., :3])
            dataset.save_as(out / name, enforce_file_format=True)
    return out


def frames_of(dataset: Dataset) -> list[bytes]:
    """The encapsulated frames of a dataset, in order."""
    count = int(dataset.get("NumberOfFrames", 1))
    return list(generate_frames(dataset.PixelData, number_of_frames=count))


def tile_positions(dataset: Dataset) -> list[tuple[int, int]]:
    """(column, row) in tiles of every frame of a TILED_FULL dataset, in frame order."""
    columns = math.ceil(int(dataset.TotalPixelMatrixColumns) / int(dataset.Columns))
    rows = math.ceil(int(dataset.TotalPixelMatrixRows) / int(dataset.Rows))
    return [(column, row) for row in range(rows) for column in range(columns)]


def _make_sparse(
    dataset: Dataset,
    tiles: Sequence[tuple[int, int]],
    organization_type: str | None,
    spacing_per_frame: bool,
) -> None:
    all_tiles = tile_positions(dataset)
    frames = frames_of(dataset)
    _set_frames(dataset, [frames[all_tiles.index(tile)] for tile in tiles])
    shared = dataset.SharedFunctionalGroupsSequence[0]
    measures = shared.PixelMeasuresSequence
    items = [_frame_item(dataset, column, row) for column, row in tiles]
    if spacing_per_frame:
        del shared.PixelMeasuresSequence
        for item in items:
            item.PixelMeasuresSequence = DicomSequence([copy.deepcopy(measures[0])])
    dataset.PerFrameFunctionalGroupsSequence = DicomSequence(items)
    _delete(dataset, "DimensionOrganizationType")
    if organization_type is not None:
        dataset.DimensionOrganizationType = organization_type


def _frame_item(dataset: Dataset, column: int, row: int) -> Dataset:
    """A per-frame functional group stating where tile (column, row) lies."""
    left, top = column * int(dataset.Columns), row * int(dataset.Rows)
    origin = dataset.TotalPixelMatrixOriginSequence[0]
    orientation = [float(value) for value in dataset.ImageOrientationSlide]
    row_spacing, column_spacing = (
        float(value)
        for value in dataset.SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0].PixelSpacing
    )
    position = Dataset()
    position.ColumnPositionInTotalImagePixelMatrix = left + 1
    position.RowPositionInTotalImagePixelMatrix = top + 1
    position.XOffsetInSlideCoordinateSystem = round(
        float(origin.XOffsetInSlideCoordinateSystem)
        + orientation[0] * left * column_spacing
        + orientation[3] * top * row_spacing,
        6,
    )
    position.YOffsetInSlideCoordinateSystem = round(
        float(origin.YOffsetInSlideCoordinateSystem)
        + orientation[1] * left * column_spacing
        + orientation[4] * top * row_spacing,
        6,
    )
    position.ZOffsetInSlideCoordinateSystem = 0.0
    item = Dataset()
    item.PlanePositionSlideSequence = DicomSequence([position])
    return item


def _set_frames(dataset: Dataset, frames: list[bytes], has_bot: bool = True) -> None:
    dataset.PixelData = encapsulate(frames, has_bot=has_bot)
    dataset["PixelData"].VR = "OB"
    dataset.NumberOfFrames = len(frames)
    _delete(dataset, "ExtendedOffsetTable", "ExtendedOffsetTableLengths")


def _set_native_frames(dataset: Dataset, pixels: np.ndarray) -> None:
    """Tile `pixels` into native frames (edges padded with white) of the dataset's tile size."""
    tile_rows, tile_columns = int(dataset.Rows), int(dataset.Columns)
    frames = []
    for top in range(0, pixels.shape[0], tile_rows):
        for left in range(0, pixels.shape[1], tile_columns):
            frame = np.full((tile_rows, tile_columns, 3), 255, dtype=np.uint8)
            part = pixels[top : top + tile_rows, left : left + tile_columns]
            frame[: part.shape[0], : part.shape[1]] = part
            frames.append(frame.tobytes())
    dataset.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    dataset.PhotometricInterpretation = "RGB"
    dataset.NumberOfFrames = len(frames)
    dataset.LossyImageCompression = "01"
    _delete(dataset, "ExtendedOffsetTable", "ExtendedOffsetTableLengths")
    dataset.PixelData = b"".join(frames)
    dataset["PixelData"].VR = "OB"


def _secondary_capture() -> Dataset:
    dataset = Dataset()
    dataset.file_meta = FileMetaDataset()
    dataset.file_meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    dataset.SOPClassUID = SecondaryCaptureImageStorage
    dataset.SOPInstanceUID = dataset.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    dataset.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    dataset.StudyInstanceUID, dataset.SeriesInstanceUID = generate_uid(), generate_uid()
    dataset.Modality = "OT"
    dataset.Rows = dataset.Columns = 8
    dataset.SamplesPerPixel = 1
    dataset.PhotometricInterpretation = "MONOCHROME2"
    dataset.BitsAllocated = dataset.BitsStored = 8
    dataset.HighBit = 7
    dataset.PixelRepresentation = 0
    dataset.PixelData = bytes(64)
    return dataset


def _delete(dataset: Dataset, *keywords: str) -> None:
    for keyword in keywords:
        if keyword in dataset:
            delattr(dataset, keyword)
