"""The flavour of a WSM image (VOLUME, LABEL, OVERVIEW, THUMBNAIL), from a bad ImageType too.

ImageType (Type 1) names the flavour as its third value. Converters leave it out, write two
values, or put the flavour elsewhere; the flavour is then taken, in this order, from another
value of ImageType, from the FrameType of the shared functional groups (the same values), or
from what the image shows: the label is in the image (SpecimenLabelInImage YES) of labels and
most overviews, never of pyramid levels.
"""

from enum import StrEnum

from pydicom.dataset import Dataset

from dicom.slide.instance_file import InstanceFile
from dicom.slide.repair_log import RepairLog

_PIXEL_DATA_CHARACTERISTICS = ("ORIGINAL", "DERIVED")
_DERIVATIONS = ("NONE", "RESAMPLED")


class Flavour(StrEnum):
    """The third value of ImageType of a VL Whole Slide Microscopy image."""

    VOLUME = "VOLUME"
    LABEL = "LABEL"
    OVERVIEW = "OVERVIEW"
    THUMBNAIL = "THUMBNAIL"


def repair_image_type(file: InstanceFile, repairs: RepairLog) -> Flavour:
    """The file's flavour; ImageType is repaired (in memory) when it does not state it."""
    values = _values(file.header.get("ImageType"))
    if len(values) >= 3 and values[2] in Flavour.__members__:
        return Flavour(values[2])
    flavour, source = _flavour_elsewhere(values, file.header)
    file.header.ImageType = _repaired_values(values, flavour)
    file.edited = True
    stated = "is missing" if not values else f"{values} does not state the flavour as value 3"
    repairs.add(f"ImageType {stated}; read as {flavour} {source}", file.name)
    return flavour


def _flavour_elsewhere(values: list[str], header: Dataset) -> tuple[Flavour, str]:
    for value in values:
        if value in Flavour.__members__:
            return Flavour(value), "from the other values of ImageType"
    frame_type = _values(_frame_type(header))
    if len(frame_type) >= 3 and frame_type[2] in Flavour.__members__:
        return Flavour(frame_type[2]), "from FrameType (Shared Functional Groups)"
    if str(header.get("SpecimenLabelInImage", "")).upper() != "YES":
        return Flavour.VOLUME, "(a tiled image without the slide label: a pyramid level)"
    if "LabelText" in header or "BarcodeValue" in header:
        return Flavour.LABEL, "(an image with the slide label, and LabelText or BarcodeValue)"
    return Flavour.OVERVIEW, "(an image with the slide label but no LabelText or BarcodeValue)"


def _frame_type(header: Dataset) -> object:
    shared = header.get("SharedFunctionalGroupsSequence")
    if not shared:
        return None
    frame_types = shared[0].get("WholeSlideMicroscopyImageFrameTypeSequence")
    return frame_types[0].get("FrameType") if frame_types else None


def _repaired_values(values: list[str], flavour: Flavour) -> list[str]:
    first = values[0] if values and values[0] in _PIXEL_DATA_CHARACTERISTICS else "ORIGINAL"
    last = values[3] if len(values) > 3 and values[3] in _DERIVATIONS else "NONE"
    return [first, "PRIMARY", flavour.value, last]


def _values(element_value: object) -> list[str]:
    """A CS value of one or many items as a list of upper-case strings."""
    if element_value is None or element_value == "":
        return []
    if isinstance(element_value, str):
        return [element_value.strip().upper()]
    return [str(value).strip().upper() for value in element_value]  # type: ignore[attr-defined]
