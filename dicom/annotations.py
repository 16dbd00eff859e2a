"""Reading annotations stored as DICOM: Segmentations (masks) and Microscopy Bulk Simple
Annotations (polygons), placed on their slide in micrometres from its top-left corner.

Each region keeps the names its class goes by (label, then coded meaning) so that the
caller decides what they mean; nothing here knows of training labels.
"""

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from config.errors import PathSentryError

log = logging.getLogger(__name__)

WSI_STORAGE = "1.2.840.10008.5.1.4.1.1.77.1.6"
SEG_STORAGE = "1.2.840.10008.5.1.4.1.1.66.4"
ANN_STORAGE = "1.2.840.10008.5.1.4.1.1.91.1"
ANNOTATION_CLASSES = (SEG_STORAGE, ANN_STORAGE)
_ELLIPSE_POINTS = 64
# Orientations differing by less than this (direction cosines) are taken as the same.
_ORIENTATION_TOLERANCE = 1e-3


class AnnotationReadError(PathSentryError):
    """An annotation file cannot be read or placed on its slide."""


@dataclass(frozen=True)
class AnnotatedOutline:
    """A closed outline, (n, 2) x and y in micrometres from the slide's top-left corner."""

    names: tuple[str, ...]
    points_um: np.ndarray


@dataclass(frozen=True)
class AnnotatedMask:
    """A boolean mask on its own grid: pixel (c, r) covers origin + [c, c + 1) x spacing."""

    names: tuple[str, ...]
    mask: np.ndarray
    spacing_um: float
    origin_um: tuple[float, float]


AnnotatedRegion = AnnotatedOutline | AnnotatedMask


@dataclass(frozen=True)
class FolderFiles:
    """The DICOM files of a folder that matter here: slide images and annotations."""

    slide: tuple[Path, ...]
    annotations: tuple[Path, ...]


@dataclass(frozen=True)
class SlideFrame:
    """Where a slide lies: its finest level's header and the pixel spacing of each instance."""

    base: Dataset
    spacing_um: float
    frame_of_reference_uid: str | None
    spacing_by_instance: dict[str, float]


def scan_folder(folder: Path) -> FolderFiles:
    """Sort a folder's DICOM files (by header, not name) into slide images and annotations."""
    slide, annotations = [], []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        sop_class = _sop_class(path)
        if sop_class == WSI_STORAGE:
            slide.append(path)
        elif sop_class in ANNOTATION_CLASSES:
            annotations.append(path)
    return FolderFiles(tuple(slide), tuple(annotations))


def slide_frame(paths: Iterable[Path]) -> SlideFrame:
    """The frame of a slide from the headers of its image files (the finest VOLUME is base)."""
    headers = [pydicom.dcmread(path, stop_before_pixels=True) for path in paths]
    volumes = [header for header in headers if _is_volume(header)]
    if not volumes:
        raise AnnotationReadError("the slide has no VOLUME image to place its annotations on")
    spacing = {str(header.SOPInstanceUID): _spacing_um(header) for header in volumes}
    base = min(volumes, key=_spacing_um)
    return SlideFrame(
        base=base,
        spacing_um=_spacing_um(base),
        frame_of_reference_uid=getattr(base, "FrameOfReferenceUID", None),
        spacing_by_instance=spacing,
    )


def read_annotation_file(path: Path, frame: SlideFrame) -> list[AnnotatedRegion]:
    """The regions of a DICOM SEG (one mask per segment) or bulk annotation (outlines)."""
    sop_class = _sop_class(path)
    try:
        if sop_class == SEG_STORAGE:
            return list(_segmentation_masks(path, frame))
        if sop_class == ANN_STORAGE:
            return list(_bulk_outlines(path, frame))
    except (ValueError, AttributeError, KeyError, IndexError, RuntimeError) as error:
        raise AnnotationReadError(f"cannot read annotations from {path}: {error}") from error
    raise AnnotationReadError(f"{path} is neither a DICOM Segmentation nor bulk annotations")


def _segmentation_masks(path: Path, frame: SlideFrame) -> Iterable[AnnotatedMask]:
    seg = hd.seg.segread(path)
    _check_frame(seg, frame, path)
    spacing_um = _spacing_um(seg)
    origin = _grid_origin_um(seg, frame)
    for number in seg.segment_numbers:
        description = seg.get_segment_description(number)
        names = (str(description.segment_label), description.segmented_property_type.meaning)
        values = seg.get_total_pixel_matrix(segment_numbers=[number])[..., 0]
        # FRACTIONAL segments hold a probability or occupancy: more than half counts.
        mask = values > 0.5 if values.dtype.kind == "f" else values > 0
        yield AnnotatedMask(names, mask, spacing_um, origin)


def _bulk_outlines(path: Path, frame: SlideFrame) -> Iterable[AnnotatedOutline]:
    annotations = hd.ann.annread(path)
    _check_frame(annotations, frame, path)
    coordinate_type = hd.ann.AnnotationCoordinateTypeValues(annotations.AnnotationCoordinateType)
    scale = _scoord_scale(annotations, frame, path)
    for group in annotations.get_annotation_groups():
        names = (group.label, group.annotated_property_type.meaning)
        graphic = group.graphic_type
        if (
            graphic == hd.ann.GraphicTypeValues.POINT
            or graphic == hd.ann.GraphicTypeValues.POLYLINE
        ):
            log.info(
                "%s: skipped group %r of %s (not a region)", path.name, group.label, graphic.value
            )
            continue
        for shape in group.get_graphic_data(coordinate_type):
            points = _outline(np.asarray(shape, dtype=np.float64), graphic)
            if coordinate_type == hd.ann.AnnotationCoordinateTypeValues.SCOORD3D:
                yield AnnotatedOutline(names, _slide_points_um(points, frame))
            else:
                yield AnnotatedOutline(names, points[:, :2] * scale)


def _outline(points: np.ndarray, graphic: "hd.ann.GraphicTypeValues") -> np.ndarray:
    """The polygon of a shape; an ellipse (its two axes' end points) becomes many points."""
    if graphic != hd.ann.GraphicTypeValues.ELLIPSE:
        return points
    major, minor = points[0:2], points[2:4]
    centre = major.mean(axis=0)
    a, b = (major[1] - major[0]) / 2, (minor[1] - minor[0]) / 2
    angles = np.linspace(0, 2 * math.pi, _ELLIPSE_POINTS, endpoint=False)[:, None]
    outline: np.ndarray = centre + np.cos(angles) * a + np.sin(angles) * b
    return outline


def _slide_points_um(points: np.ndarray, frame: SlideFrame) -> np.ndarray:
    """Slide coordinates (mm) to micrometres from the base level's top-left corner."""
    transformer = hd.spatial.ReferenceToImageTransformer.for_image(
        frame.base, for_total_pixel_matrix=True
    )
    if points.shape[1] == 2:
        points = np.column_stack([points, np.full(len(points), _z_offset(frame.base))])
    image = transformer(points)
    return image[:, :2] * frame.spacing_um


def _grid_origin_um(seg: Dataset, frame: SlideFrame) -> tuple[float, float]:
    """Where the segmentation's top-left corner lies on the slide, in micrometres.

    Pyramid levels share one Total Pixel Matrix Origin (the slide's corner), and highdicom
    copies it into a SEG made on any level: the offset between the two origins, in base
    pixels, is the offset of the grids.
    """
    if "TotalPixelMatrixOriginSequence" not in seg:
        log.warning("a segmentation without a pixel matrix origin is taken to start at the slide's")
        return (0.0, 0.0)
    _check_orientation(seg, frame)
    origin = seg.TotalPixelMatrixOriginSequence[0]
    point = np.array(
        [
            [
                float(origin.XOffsetInSlideCoordinateSystem),
                float(origin.YOffsetInSlideCoordinateSystem),
            ]
        ]
    )
    # The transformer puts the base's own origin at the centre of its first pixel.
    x, y = _slide_points_um(point, frame)[0] - frame.spacing_um / 2
    return (float(x), float(y))


def _scoord_scale(annotations: Dataset, frame: SlideFrame, path: Path) -> float:
    """Micrometres per pixel of the image that 2-D (SCOORD) coordinates refer to."""
    references = [
        str(reference.ReferencedSOPInstanceUID)
        for reference in getattr(annotations, "ReferencedImageSequence", None) or []
    ]
    for uid in references:
        spacing = frame.spacing_by_instance.get(uid)
        if spacing is not None:
            return spacing
    if references and annotations.AnnotationCoordinateType == "2D":
        raise AnnotationReadError(
            f"{path} annotates an image that is not a level of this slide; put it in the "
            "folder of the slide it annotates"
        )
    if annotations.AnnotationCoordinateType == "2D":
        log.warning("%s names no image; its pixels are taken as the base level's", path.name)
    return frame.spacing_um


def _check_frame(dataset: Dataset, frame: SlideFrame, path: Path) -> None:
    uid = getattr(dataset, "FrameOfReferenceUID", None)
    if uid and frame.frame_of_reference_uid and uid != frame.frame_of_reference_uid:
        raise AnnotationReadError(
            f"{path} belongs to another frame of reference ({uid}) than its slide "
            f"({frame.frame_of_reference_uid}); put it in the folder of the slide it annotates"
        )


def _check_orientation(seg: Dataset, frame: SlideFrame) -> None:
    own = np.array(getattr(seg, "ImageOrientationSlide", frame.base.ImageOrientationSlide), float)
    base = np.array(frame.base.ImageOrientationSlide, dtype=float)
    if np.abs(own - base).max() > _ORIENTATION_TOLERANCE:
        raise AnnotationReadError(
            "the segmentation is rotated against its slide; only segmentations on the slide's "
            "own pixel axes are supported"
        )


def _spacing_um(dataset: Dataset) -> float:
    try:
        spacing = dataset.SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0].PixelSpacing
    except (AttributeError, IndexError):
        raise AnnotationReadError(
            f"instance {getattr(dataset, 'SOPInstanceUID', '?')} states no pixel spacing"
        ) from None
    return (float(spacing[0]) + float(spacing[1])) / 2 * 1000


def _z_offset(dataset: Dataset) -> float:
    origin = dataset.TotalPixelMatrixOriginSequence[0]
    return float(getattr(origin, "ZOffsetInSlideCoordinateSystem", 0.0))


def _is_volume(header: Dataset) -> bool:
    image_type = list(getattr(header, "ImageType", []))
    return len(image_type) > 2 and image_type[2] == "VOLUME"


def _sop_class(path: Path) -> str | None:
    try:
        header = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["SOPClassUID"])
    except (InvalidDicomError, OSError, EOFError, ValueError):
        return None
    return str(header.get("SOPClassUID", "")) or None
