"""DICOM microscopy bulk annotations as an annotation tool writes them, for tests."""

import highdicom as hd
import numpy as np
import pydicom
from pydicom.sr.codedict import codes

CATEGORY = codes.SCT.MorphologicallyAbnormalStructure


def bulk(
    source: pydicom.Dataset,
    coordinate_type: str,
    polygons: list[np.ndarray],
    graphic: str = "POLYGON",
) -> hd.ann.MicroscopyBulkSimpleAnnotations:
    group = hd.ann.AnnotationGroup(
        number=1,
        uid=hd.UID(),
        label="Carcinoma",
        annotated_property_category=CATEGORY,
        annotated_property_type=codes.SCT.Neoplasm,
        graphic_type=graphic,
        graphic_data=polygons,
        algorithm_type=hd.ann.AnnotationGroupGenerationTypeValues.MANUAL,
    )
    return hd.ann.MicroscopyBulkSimpleAnnotations(
        source_images=[source],
        annotation_coordinate_type=coordinate_type,
        annotation_groups=[group],
        series_instance_uid=hd.UID(),
        series_number=30,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer="Test",
        manufacturer_model_name="annotator",
        software_versions="1",
        device_serial_number="1",
    )
