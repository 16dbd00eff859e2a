"""What the pipeline writes back per the results settings: the foci annotations, the BINARY SEG
when asked for, the floor under the FRACTIONAL SEG, the triage in the SR's series; and the
dashboard pictures turned as slide coordinates show the slide."""

from pathlib import Path

import highdicom as hd
import numpy as np
from PIL import Image
from pydicom import dcmread
from pydicom.uid import (
    Comprehensive3DSRStorage,
    MicroscopyBulkSimpleAnnotationsStorage,
    SegmentationStorage,
)

from config import ResultsSettings, TriageSettings
from config.kinds import ResultFileKind
from db.results import ResultValues
from dicom.slide import WholeSlideImage
from inference.tissue import TissueParameters, read_thumbnail
from plugin.analysis.pipeline import SlidePipeline
from tests.dicom.conformance import assert_dciodvfy_clean
from tests.plugin.conftest import Analysed
from tests.plugin.slides import job_context, service_settings


def test_results_settings_shape_what_is_written(slide: Path, weights: Path, tmp_path: Path) -> None:
    results = ResultsSettings(probability_floor=0.2, binary_segmentation=True, max_foci=2)
    # A low threshold, so that even the untrained test model's map has foci.
    settings = service_settings(
        tmp_path, weights, results=results, triage=TriageSettings(threshold=0.05)
    )
    outcome = SlidePipeline(settings)(job_context(slide))
    assert isinstance(outcome, ResultValues)
    outputs = [file.path for file in outcome.files]
    headers = {path: dcmread(path, stop_before_pixels=True) for path in outputs}
    by_class: dict[str, list[Path]] = {}
    for file in outcome.files:
        header = headers[file.path]
        assert (file.sop_class_uid, file.sop_instance_uid, file.series_instance_uid) == (
            header.SOPClassUID,
            header.SOPInstanceUID,
            header.SeriesInstanceUID,
        )
        by_class.setdefault(str(header.SOPClassUID), []).append(file.path)
        assert_dciodvfy_clean(file.path)
    # Delivered in this order: SEG levels, BINARY SEG levels, annotations, the report last,
    # after what it refers to.
    file_kinds = [file.kind for file in outcome.files]
    order = [
        ResultFileKind.SEGMENTATION,
        ResultFileKind.BINARY_SEGMENTATION,
        ResultFileKind.ANNOTATIONS,
        ResultFileKind.REPORT,
    ]
    assert file_kinds == sorted(file_kinds, key=order.index)
    assert set(file_kinds) == set(order)
    assert outputs[-1] == outcome.sr_path
    assert len(by_class[Comprehensive3DSRStorage]) == 1
    segmentations = by_class[SegmentationStorage]
    kinds = {headers[path].SegmentationType for path in segmentations}
    assert kinds == {"FRACTIONAL", "BINARY"}
    fractional = hd.seg.segread(outcome.seg_path)
    stored = fractional.get_total_pixel_matrix(segment_numbers=[1], rescale_fractional=True)
    assert stored[stored > 0].min() >= 0.2 - 1 / 510
    (annotations,) = by_class[MicroscopyBulkSimpleAnnotationsStorage]
    (group,) = hd.ann.annread(annotations).get_annotation_groups()
    assert 1 <= group.number_of_annotations <= 2
    report = headers[outcome.sr_path]
    verdict = "suspicious" if outcome.suspicious else "not suspicious"
    assert report.SeriesDescription == f"AI: {verdict}, p={outcome.score:.2f} (unverified)"


def test_pictures_are_turned_as_slide_coordinates_show_the_slide(
    slide: Path, analysed: Analysed
) -> None:
    values, _, _ = analysed
    parameters = TissueParameters()
    with WholeSlideImage.open(slide) as opened:
        orientation = [float(v) for v in opened.level_headers[0].ImageOrientationSlide]
        stored = read_thumbnail(
            opened, parameters.thumbnail_spacing_um, parameters.min_thumbnail_side
        ).image
    # The synthetic slide has the usual orientation (rows along -Y, columns along -X), which a
    # viewer of slide coordinates (+X down, +Y right) shows turned by half a turn.
    assert orientation == [0.0, -1.0, 0.0, -1.0, 0.0, 0.0]
    assert values.thumbnail_path is not None and values.heatmap_path is not None
    thumbnail = np.asarray(Image.open(values.thumbnail_path))
    assert not np.array_equal(thumbnail, stored)
    np.testing.assert_array_equal(thumbnail, np.rot90(stored, 2))
    heatmap = Image.open(values.heatmap_path)
    assert heatmap.size == (thumbnail.shape[1], thumbnail.shape[0])
