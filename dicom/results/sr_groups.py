"""The measurement groups of the report: the slide's probability and finding, and one group per
focus (its outline in slide coordinates, area, peak and mean probability)."""

import highdicom as hd
import numpy as np
from pydicom.dataset import Dataset
from pydicom.valuerep import DS

from dicom.results.codes import (
    AREA,
    BENIGN,
    IMAGE_QUALITY,
    MALIGNANT,
    MALIGNANT_NEOPLASM,
    MAXIMUM,
    MEAN,
    MORPHOLOGICALLY_ABNORMAL_STRUCTURE,
    NO_UNITS,
    PATHOLOGY,
    PROBABILITY_OF_CANCER,
    SQUARE_MILLIMETER,
    top_k_mean,
)
from dicom.results.foci import Focus
from dicom.results.provenance import Algorithm, ResultIdentity

# Probabilities are shown with three decimals (the full value stays in Floating Point Value).
PROBABILITY_DECIMALS = 3
AREA_DIGITS = 3


def slide_group(
    map_level: Dataset,
    segmentation: Dataset,
    score: float,
    identity: ResultIdentity,
    quality: str | None = None,
) -> hd.sr.VolumetricROIMeasurementsAndQualitativeEvaluations:
    """The slide score and finding, measured on the whole probability segment; the only group
    that names the algorithm's parameters. `quality`: the quality gate's outcome in words, an
    "Image Quality" text item (what the score leaves out)."""
    algorithm = identity.algorithm
    finding = MALIGNANT if score >= algorithm.threshold else BENIGN
    segment = hd.sr.ReferencedSegment(
        sop_class_uid=segmentation.SOPClassUID,
        sop_instance_uid=segmentation.SOPInstanceUID,
        segment_number=1,
        source_images=[hd.sr.SourceImageForSegmentation.from_source_image(map_level)],
    )
    probability = hd.sr.Measurement(
        name=PROBABILITY_OF_CANCER,
        value=score,
        unit=NO_UNITS,
        derivation=MEAN,
        method=top_k_mean(algorithm.top_k),
    )
    group = hd.sr.VolumetricROIMeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(
            uid=identity.uid("sr", "tracking", "slide"), identifier="Whole slide"
        ),
        referenced_segment=segment,
        finding_category=MORPHOLOGICALLY_ABNORMAL_STRUCTURE,
        finding_type=MALIGNANT_NEOPLASM,
        algorithm_id=algorithm_identification(algorithm, with_parameters=True),
        measurements=[rounded(probability, PROBABILITY_DECIMALS)],
        qualitative_evaluations=[hd.sr.QualitativeEvaluation(PATHOLOGY, finding)],
    )
    if quality:
        group[0].ContentSequence.append(
            hd.sr.TextContentItem(
                name=IMAGE_QUALITY,
                value=quality,
                relationship_type=hd.sr.RelationshipTypeValues.CONTAINS,
            )
        )
    return group


def focus_group(
    map_level: Dataset, focus: Focus, rank: int, identity: ResultIdentity
) -> hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations:
    """One focus as a polygon in slide coordinates with its area, peak and mean probability."""
    to_slide = hd.spatial.ImageToReferenceTransformer.for_image(
        map_level, for_total_pixel_matrix=True
    )
    polygon = hd.sr.ImageRegion3D(
        graphic_type=hd.sr.GraphicTypeValues3D.POLYGON,
        graphic_data=to_slide(np.array(focus.outline, dtype=np.float64)),
        frame_of_reference_uid=map_level.FrameOfReferenceUID,
    )
    area = hd.sr.Measurement(
        name=AREA, value=focus.area_mm2(pixel_spacing_mm(map_level)), unit=SQUARE_MILLIMETER
    )
    return hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(
            uid=identity.uid("sr", "tracking", "focus", rank), identifier=f"Focus {rank}"
        ),
        referenced_region=polygon,
        finding_category=MORPHOLOGICALLY_ABNORMAL_STRUCTURE,
        finding_type=MALIGNANT_NEOPLASM,
        algorithm_id=algorithm_identification(identity.algorithm, with_parameters=False),
        measurements=[
            _significant(area, AREA_DIGITS),
            rounded(_probability(focus.peak_probability, MAXIMUM), PROBABILITY_DECIMALS),
            rounded(_probability(focus.mean_probability, MEAN), PROBABILITY_DECIMALS),
        ],
    )


def algorithm_identification(
    algorithm: Algorithm, with_parameters: bool
) -> hd.sr.AlgorithmIdentification:
    parameters = [f"{name}={value}" for name, value in algorithm.parameters.items()]
    return hd.sr.AlgorithmIdentification(
        name=algorithm.name,
        version=algorithm.version,
        parameters=parameters if with_parameters else None,
        manufacturer=algorithm.manufacturer,
    )


def pixel_spacing_mm(level: Dataset) -> tuple[float, float]:
    """(row, column) spacing of a slide level, from its shared functional groups."""
    measures = level.SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0]
    row, column = (float(value) for value in measures.PixelSpacing)
    return row, column


def rounded(measurement: hd.sr.Measurement, decimals: int) -> hd.sr.Measurement:
    """The measurement with its displayed Numeric Value rounded to `decimals`."""
    return _with_numeric_text(measurement, f"{_value(measurement):.{decimals}f}")


def _significant(measurement: hd.sr.Measurement, digits: int) -> hd.sr.Measurement:
    return _with_numeric_text(measurement, f"{_value(measurement):.{digits}g}")


def _value(measurement: hd.sr.Measurement) -> float:
    return float(measurement[0].MeasuredValueSequence[0].FloatingPointValue)


def _with_numeric_text(measurement: hd.sr.Measurement, text: str) -> hd.sr.Measurement:
    # Floating Point Value keeps the full value for software; readers see Numeric Value.
    measurement[0].MeasuredValueSequence[0].NumericValue = DS(text)
    return measurement


def _probability(value: float, derivation: hd.sr.CodedConcept) -> hd.sr.Measurement:
    return hd.sr.Measurement(
        name=PROBABILITY_OF_CANCER, value=value, unit=NO_UNITS, derivation=derivation
    )
