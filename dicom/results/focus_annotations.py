"""The foci as a DICOM Microscopy Bulk Simple Annotations object, which slide viewers (SLIM and
others built on dicom-microscopy-viewer) draw over the slide: one polygon per focus in slide
coordinates, with its area, peak and mean probability."""

import datetime
import logging
from collections.abc import Sequence
from pathlib import Path

import highdicom as hd
import numpy as np
from pydicom.dataset import Dataset

from config.kinds import ResultFileKind
from dicom.atomic_file import write_dataset
from dicom.results.codes import (
    AREA,
    MALIGNANT_NEOPLASM,
    MEAN_PROBABILITY_OF_CANCER,
    MORPHOLOGICALLY_ABNORMAL_STRUCTURE,
    NO_UNITS,
    PEAK_PROBABILITY_OF_CANCER,
    SQUARE_MILLIMETER,
    local_coding_scheme,
)
from dicom.results.foci import Focus
from dicom.results.provenance import (
    ANN_SERIES_NUMBER,
    MANUFACTURER,
    ResultIdentity,
    algorithm_identification,
    contributing_equipment,
    stamp_analysis_time,
)
from dicom.results.source_header import with_empty_type_2
from dicom.results.sr_groups import pixel_spacing_mm
from dicom.results.written_file import WrittenFile
from dicom.wsi.slide_modules import software_version

log = logging.getLogger(__name__)

ANNOTATIONS_FILE = "foci-ann.dcm"


def write_focus_annotations(
    out_dir: Path,
    map_level: Dataset,
    foci: Sequence[Focus],
    identity: ResultIdentity,
    analysis_time: datetime.datetime,
) -> WrittenFile | None:
    """Writes foci-ann.dcm (one annotation group, a polygon per focus, ranked); returns what it
    wrote, or None when there is no focus to annotate (an empty group is not allowed)."""
    if not foci:
        log.info("no focus to annotate; no annotation object written")
        return None
    level = with_empty_type_2(map_level)
    annotations = hd.ann.MicroscopyBulkSimpleAnnotations(
        source_images=[level],
        annotation_coordinate_type=hd.ann.AnnotationCoordinateTypeValues.SCOORD3D,
        annotation_groups=[_group(level, foci, identity)],
        series_instance_uid=identity.uid("ann", "series"),
        series_number=ANN_SERIES_NUMBER,
        sop_instance_uid=identity.ann_instance_uid,
        instance_number=1,
        manufacturer=MANUFACTURER,
        manufacturer_model_name=identity.algorithm.name,
        software_versions=software_version(),
        device_serial_number=identity.algorithm.short_weights_id,
        content_description="Foci of the malignancy probability, ranked",
        content_label="AI_FOCI",
        contributing_equipment=[contributing_equipment(identity.algorithm, analysis_time)],
        series_description=f"AI foci ({len(foci)}, unverified)",
        content_date=analysis_time.date(),
        content_time=analysis_time.time(),
        series_date=analysis_time.date(),
        series_time=analysis_time.time(),
    )
    stamp_analysis_time(annotations, analysis_time)
    annotations.CodingSchemeIdentificationSequence = [local_coding_scheme()]
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / ANNOTATIONS_FILE
    write_dataset(annotations, path)
    log.info("wrote %d focus annotation(s)", len(foci))
    return WrittenFile.of(ResultFileKind.ANNOTATIONS, annotations, path)


def _group(
    level: Dataset, foci: Sequence[Focus], identity: ResultIdentity
) -> hd.ann.AnnotationGroup:
    to_slide = hd.spatial.ImageToReferenceTransformer.for_image(level, for_total_pixel_matrix=True)
    # Polygons in an annotation object are implicitly closed: the repeated last point goes.
    polygons = [to_slide(np.array(focus.outline[:-1], dtype=np.float64)) for focus in foci]
    spacing = pixel_spacing_mm(level)
    measurements = [
        hd.ann.Measurements(AREA, np.array([f.area_mm2(spacing) for f in foci]), SQUARE_MILLIMETER),
        hd.ann.Measurements(
            PEAK_PROBABILITY_OF_CANCER, np.array([f.peak_probability for f in foci]), NO_UNITS
        ),
        hd.ann.Measurements(
            MEAN_PROBABILITY_OF_CANCER, np.array([f.mean_probability for f in foci]), NO_UNITS
        ),
    ]
    return hd.ann.AnnotationGroup(
        number=1,
        uid=identity.uid("ann", "group", 1),
        label="AI foci",
        annotated_property_category=MORPHOLOGICALLY_ABNORMAL_STRUCTURE,
        annotated_property_type=MALIGNANT_NEOPLASM,
        graphic_type=hd.ann.GraphicTypeValues.POLYGON,
        graphic_data=polygons,
        algorithm_type=hd.ann.AnnotationGroupGenerationTypeValues.AUTOMATIC,
        algorithm_identification=algorithm_identification(identity.algorithm),
        measurements=measurements,
        description="Foci of the malignancy probability, most suspicious first",
    )
