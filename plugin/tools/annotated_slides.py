"""A folder of annotated slides: where each slide and its annotations are, opened for training.

A slide is a folder holding its DICOM WSM files. Its annotations are, in that folder or
in a `truth/` or `annotations/` folder inside it: DICOM Segmentations, DICOM Microscopy
Bulk Simple Annotations and GeoJSON files (*.geojson, as QuPath exports them); a
GeoJSON file named after the slide folder beside it (`slide-7.geojson` next to
`slide-7/`) counts too. dicom reads the DICOM files, inference the GeoJSON; this module
maps their class names onto training labels and hands inference plain regions.
"""

import contextlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from config import PathSentryError
from dicom.annotations import (
    AnnotatedMask,
    AnnotatedOutline,
    AnnotatedRegion,
    read_annotation_file,
    scan_folder,
    slide_frame,
)
from dicom.slide import WholeSlideImage
from inference.training import (
    ClassMapping,
    LabelledMask,
    LabelledPolygon,
    SlideAnnotations,
    TrainingSlide,
    polygons_from_geojson,
)
from inference.training.regions import Region

log = logging.getLogger(__name__)

ANNOTATION_FOLDERS = ("", "truth", "annotations")


@dataclass(frozen=True)
class AnnotatedSlideFiles:
    """One slide's folder, its DICOM image files and its annotation files."""

    folder: Path
    images: tuple[Path, ...]
    dicom_annotations: tuple[Path, ...]
    geojson: tuple[Path, ...]

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def annotated(self) -> bool:
        return bool(self.dicom_annotations or self.geojson)


def find_slides(root: Path) -> list[AnnotatedSlideFiles]:
    """Every slide folder under `root` (itself included), in name order, with its annotations."""
    if not root.is_dir():
        raise PathSentryError(f"{root} is not a folder; give the folder that holds the slides")
    found = []
    for folder in sorted([root, *(path for path in root.rglob("*") if path.is_dir())]):
        if folder.name in ANNOTATION_FOLDERS[1:]:
            continue
        files = scan_folder(folder)
        if not files.slide:
            continue
        extra = [
            scan_folder(folder / sub).annotations
            for sub in ANNOTATION_FOLDERS[1:]
            if (folder / sub).is_dir()
        ]
        geojson = [
            *(
                path
                for sub in ANNOTATION_FOLDERS
                for path in sorted((folder / sub).glob("*.geojson"))
            ),
            *([folder.with_suffix(".geojson")] if folder.with_suffix(".geojson").is_file() else []),
        ]
        dicom_files = (*files.annotations, *(path for paths in extra for path in paths))
        found.append(AnnotatedSlideFiles(folder, files.slide, dicom_files, tuple(geojson)))
    return found


def read_annotations(files: AnnotatedSlideFiles, mapping: ClassMapping) -> SlideAnnotations:
    """The slide's labelled regions from all of its annotation files."""
    frame = slide_frame(files.images)
    regions: list[Region] = []
    for path in files.dicom_annotations:
        regions += [
            _labelled(region, mapping, str(path)) for region in read_annotation_file(path, frame)
        ]
    for path in files.geojson:
        regions += polygons_from_geojson(_json(path), frame.spacing_um, mapping, str(path))
    return SlideAnnotations(tuple(regions))


@contextlib.contextmanager
def open_training_slides(
    found: list[AnnotatedSlideFiles], mapping: ClassMapping
) -> Iterator[list[TrainingSlide]]:
    """The annotated slides opened for reading (closed on exit); unannotated ones are skipped."""
    with contextlib.ExitStack() as stack:
        slides = []
        for files in found:
            if not files.annotated:
                log.warning("slide %s has no annotations; it is not used for training", files.name)
                continue
            annotations = read_annotations(files, mapping)
            slide = stack.enter_context(WholeSlideImage.open(files.folder))
            slides.append(TrainingSlide(files.name, slide, annotations))
        yield slides


def _labelled(region: AnnotatedRegion, mapping: ClassMapping, where: str) -> Region:
    label = mapping.require(region.names, where)
    if isinstance(region, AnnotatedOutline):
        return LabelledPolygon(label, region.points_um)
    assert isinstance(region, AnnotatedMask)
    x, y = region.origin_um
    return LabelledMask(label, region.mask, region.spacing_um, x, y)


def _json(path: Path) -> object:
    try:
        return json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PathSentryError(f"cannot read annotations {path}: {error}") from None
