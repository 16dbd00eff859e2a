"""Header repairs of pyramid levels: pixel format, matrix size, tiling and origin.

What has one clear meaning is repaired in memory and recorded; what has none fails with a
message that names the attribute and the file.
"""

import copy
import math
from collections.abc import Callable, Sequence

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import UID
from wsidicom.codec import Codec

from dicom.slide.errors import SlideError
from dicom.slide.instance_file import InstanceFile
from dicom.slide.repair_log import RepairLog

# What wsidicom reads while opening a level; none of these can be guessed when missing.
_REQUIRED = (
    "StudyInstanceUID",
    "SeriesInstanceUID",
    "Rows",
    "Columns",
    "PhotometricInterpretation",
)
_SAMPLES = {"MONOCHROME2": 1}
# The slide coordinate system's usual orientation: image rows along -Y, columns along -X.
_DEFAULT_ORIENTATION = [0.0, -1.0, 0.0, -1.0, 0.0, 0.0]


def repair_pixel_format(level: InstanceFile, repairs: RepairLog) -> None:
    """Check what cannot be guessed, and repair the matrix size and sample attributes that can."""
    header = level.header
    for keyword in _REQUIRED:
        if keyword not in header or header[keyword].value in (None, ""):
            raise SlideError(
                f"{level.name}: {keyword} is missing (a Type 1 attribute) and cannot be derived; "
                "the file cannot be read as a pyramid level"
            )
    _repair_sop_instance_uid(level, repairs)
    _repair_samples(level, repairs)
    _repair_matrix_size(level, repairs)
    _check_supported(level)


def repair_tiling(level: InstanceFile, repairs: RepairLog) -> None:
    """DimensionOrganizationType from the frames when it is missing or contradicts them."""
    header = level.header
    stated = str(header.get("DimensionOrganizationType", "") or "")
    frames, full = level.frame_count(), full_tiling_frames(header)
    concatenated = "SOPInstanceUIDOfConcatenationSource" in header
    if stated == "TILED_SPARSE" or (stated == "TILED_FULL" and (frames == full or concatenated)):
        return
    if level.has_per_frame_groups:
        organization, reason = "TILED_SPARSE", "the Per-Frame Functional Groups give the tiles"
    elif frames == full or concatenated:
        organization, reason = "TILED_FULL", f"the {frames} frames tile the whole matrix"
    else:
        state = f"is {stated}, but" if stated else "is missing and cannot be derived:"
        raise SlideError(
            f"{level.name}: DimensionOrganizationType {state} its {frames} frames "
            f"(NumberOfFrames) are not the {full} tiles of a full tiling, and no Per-Frame "
            "Functional Groups Sequence gives their positions"
        )
    header.DimensionOrganizationType = organization
    level.edited = True
    repairs.add(
        f"DimensionOrganizationType is {stated or 'missing'}; read as {organization}, as {reason}",
        level.name,
    )


def repair_origin(levels: Sequence[InstanceFile], repairs: RepairLog) -> None:
    """Levels without origin or orientation take those of the largest level that has them."""
    _fill_from_reference(levels, "TotalPixelMatrixOriginSequence", _default_origin, repairs)
    _fill_from_reference(levels, "ImageOrientationSlide", lambda: _DEFAULT_ORIENTATION, repairs)


def full_tiling_frames(header: Dataset) -> int:
    """Frames of a TILED_FULL image: tiles across, tiles down, focal planes, optical paths."""
    across = math.ceil(int(header.TotalPixelMatrixColumns) / int(header.Columns))
    down = math.ceil(int(header.TotalPixelMatrixRows) / int(header.Rows))
    planes = int(header.get("TotalPixelMatrixFocalPlanes", 1) or 1)
    paths = int(header.get("NumberOfOpticalPaths", 1) or 1)
    return across * down * planes * paths


def _fill_from_reference(
    levels: Sequence[InstanceFile],
    keyword: str,
    default: Callable[[], object],
    repairs: RepairLog,
) -> None:
    stating = [level for level in levels if level.header.get(keyword)]
    reference = stating[0] if stating else None
    for level in levels:
        if level.header.get(keyword):
            continue
        value = default() if reference is None else copy.deepcopy(reference.header[keyword].value)
        setattr(level.header, keyword, value)
        level.edited = True
        source = f"that of {reference.name} is used" if reference else "the default is used"
        repairs.add(f"{keyword} is missing; {source}", level.name)


def _repair_sop_instance_uid(level: InstanceFile, repairs: RepairLog) -> None:
    if level.header.get("SOPInstanceUID"):
        return
    level.header.SOPInstanceUID = UID(level.header.file_meta.MediaStorageSOPInstanceUID)
    level.edited = True
    repairs.add("SOPInstanceUID is missing; taken from the file meta information", level.name)


def _repair_samples(level: InstanceFile, repairs: RepairLog) -> None:
    header = level.header
    if "SamplesPerPixel" not in header:
        header.SamplesPerPixel = _SAMPLES.get(str(header.PhotometricInterpretation), 3)
        level.edited = True
        repairs.add(
            "SamplesPerPixel is missing; derived from PhotometricInterpretation", level.name
        )
    if "BitsStored" not in header and "BitsAllocated" in header:
        header.BitsStored = header.BitsAllocated
        level.edited = True
        repairs.add("BitsStored is missing; taken as BitsAllocated", level.name)


def _repair_matrix_size(level: InstanceFile, repairs: RepairLog) -> None:
    header = level.header
    if "TotalPixelMatrixColumns" in header and "TotalPixelMatrixRows" in header:
        return
    if level.frame_count() != 1:
        missing = (
            "TotalPixelMatrixColumns"
            if "TotalPixelMatrixColumns" not in header
            else "TotalPixelMatrixRows"
        )
        raise SlideError(
            f"{level.name}: {missing} is missing (a Type 1 attribute) and cannot be derived for "
            f"an image of {level.frame_count()} frames"
        )
    header.TotalPixelMatrixColumns, header.TotalPixelMatrixRows = header.Columns, header.Rows
    level.edited = True
    repairs.add("TotalPixelMatrixColumns/Rows are missing; taken from its single frame", level.name)


def _check_supported(level: InstanceFile) -> None:
    header = level.header
    syntax = UID(header.file_meta.TransferSyntaxUID)
    samples, photometric = int(header.SamplesPerPixel), str(header.PhotometricInterpretation)
    bits = int(header.get("BitsStored", 8))
    for keyword, supported in (("PixelRepresentation", 0), ("PlanarConfiguration", 0)):
        if int(header.get(keyword, 0) or 0) != supported:
            raise SlideError(
                f"{level.name}: {keyword} {header.get(keyword)} is not supported (only {supported})"
            )
    if not Codec.is_supported(syntax, samples, bits, photometric):
        raise SlideError(
            f"{level.name}: frames in {syntax.name} ({syntax}) with {samples} samples of {bits} "
            f"bits, {photometric}, cannot be decoded; send the slide in JPEG, JPEG 2000 or "
            "uncompressed"
        )


def _default_origin() -> DicomSequence:
    origin = Dataset()
    origin.XOffsetInSlideCoordinateSystem = 0.0
    origin.YOffsetInSlideCoordinateSystem = 0.0
    return DicomSequence([origin])
