"""DICOM SEG and bulk annotations read back as masks and outlines in slide micrometres."""

from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
import pytest
from highdicom.sr.coding import CodedConcept

from dicom.annotations import (
    AnnotatedMask,
    AnnotatedOutline,
    AnnotationReadError,
    read_annotation_file,
    scan_folder,
    slide_frame,
)
from dicom.wsi import PyramidSpec, synthetic_identity, write_pyramid
from tests.dicom.annotation_files import CATEGORY, bulk
from tests.dicom.wsi.renderers import ShapesRenderer

SPEC = PyramidSpec(1024, 768, spacing_um=0.25, tile_size=128, min_level_size=128)


@pytest.fixture(scope="module")
def slide(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("slide")
    identity = synthetic_identity(3, case="A-1", kind="annotations")
    return write_pyramid(folder, ShapesRenderer(SPEC.width, SPEC.height), SPEC, identity)


def description(number: int, label: str, meaning: str) -> hd.seg.SegmentDescription:
    return hd.seg.SegmentDescription(
        segment_number=number,
        segment_label=label,
        segmented_property_category=CATEGORY,
        segmented_property_type=CodedConcept(f"9{number}", "99TEST", meaning),
        algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
    )


def write_seg(path: Path, source: pydicom.Dataset, masks: np.ndarray) -> Path:
    seg = hd.seg.Segmentation(
        source_images=[source],
        pixel_array=masks,
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=[
            description(1, "Tumor", "Neoplasm"),
            description(2, "Area 2", "Stroma"),
        ],
        series_instance_uid=hd.UID(),
        series_number=20,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer="Test",
        manufacturer_model_name="annotator",
        software_versions="1",
        device_serial_number="1",
        tile_pixel_array=True,
        tile_size=(64, 64),
    )
    seg.save_as(path)
    return path


def test_a_segmentation_gives_one_mask_per_segment_on_the_slide(
    slide: list[Path], tmp_path: Path
) -> None:
    level = pydicom.dcmread(slide[1])  # 0.5 um per pixel, 512 x 384
    masks = np.zeros((1, 384, 512, 2), dtype=bool)
    masks[0, 100:150, 200:260, 0] = True
    masks[0, 10:20, 30:40, 1] = True
    path = write_seg(tmp_path / "seg.dcm", level, masks)
    regions = read_annotation_file(path, slide_frame(slide))
    assert [region.names for region in regions] == [("Tumor", "Neoplasm"), ("Area 2", "Stroma")]
    tumour = regions[0]
    assert isinstance(tumour, AnnotatedMask)
    assert tumour.spacing_um == pytest.approx(0.5)
    assert tumour.origin_um == pytest.approx((0.0, 0.0), abs=1e-6)
    assert np.array_equal(tumour.mask, masks[0, ..., 0])


def test_2d_bulk_annotations_scale_with_the_image_they_refer_to(
    slide: list[Path], tmp_path: Path
) -> None:
    level = pydicom.dcmread(slide[1], stop_before_pixels=True)
    outline = np.array([[10.0, 20.0], [110.0, 20.0], [110.0, 70.0], [10.0, 70.0]])
    path = tmp_path / "ann2d.dcm"
    bulk(level, "2D", [outline]).save_as(path)
    (region,) = read_annotation_file(path, slide_frame(slide))
    assert isinstance(region, AnnotatedOutline)
    assert region.names == ("Carcinoma", "Neoplasm")
    assert np.allclose(region.points_um, outline * 0.5)


def test_3d_bulk_annotations_map_from_slide_coordinates(slide: list[Path], tmp_path: Path) -> None:
    base = pydicom.dcmread(slide[0], stop_before_pixels=True)
    corners_px = np.array([[40.0, 60.0], [240.0, 60.0], [240.0, 160.0], [40.0, 160.0]])
    to_slide = hd.spatial.ImageToReferenceTransformer.for_image(base, for_total_pixel_matrix=True)
    path = tmp_path / "ann3d.dcm"
    bulk(base, "3D", [to_slide(corners_px)]).save_as(path)
    (region,) = read_annotation_file(path, slide_frame(slide))
    assert isinstance(region, AnnotatedOutline)
    assert np.allclose(region.points_um, corners_px * 0.25, atol=1e-6)


def test_an_ellipse_becomes_an_outline_through_its_axes(slide: list[Path], tmp_path: Path) -> None:
    level = pydicom.dcmread(slide[0], stop_before_pixels=True)
    axes = np.array([[100.0, 50.0], [140.0, 50.0], [120.0, 40.0], [120.0, 60.0]])
    path = tmp_path / "ellipse.dcm"
    bulk(level, "2D", [axes], graphic="ELLIPSE").save_as(path)
    (region,) = read_annotation_file(path, slide_frame(slide))
    assert isinstance(region, AnnotatedOutline)
    x, y = region.points_um[:, 0] / 0.25, region.points_um[:, 1] / 0.25
    assert np.allclose(((x - 120) / 20) ** 2 + ((y - 50) / 10) ** 2, 1.0)


def test_the_folder_scan_sorts_images_from_annotations(slide: list[Path], tmp_path: Path) -> None:
    folder = slide[0].parent
    level = pydicom.dcmread(slide[1], stop_before_pixels=True)
    path = folder / "notes.dcm"
    bulk(level, "2D", [np.array([[0.0, 0.0], [5.0, 0.0], [5.0, 5.0]])]).save_as(path)
    (folder / "readme.txt").write_text("not DICOM")
    try:
        files = scan_folder(folder)
        assert set(files.slide) == {p for p in slide if "level" in p.name}
        assert files.annotations == (path,)
    finally:
        path.unlink()


def test_annotations_of_another_slide_are_refused(slide: list[Path], tmp_path: Path) -> None:
    triangle = np.array([[0.0, 0.0], [5.0, 0.0], [5.0, 5.0]])
    other = pydicom.dcmread(slide[1], stop_before_pixels=True)
    other.SOPInstanceUID = hd.UID()
    bulk(other, "2D", [triangle]).save_as(tmp_path / "other-image.dcm")
    with pytest.raises(AnnotationReadError, match="not a level of this slide"):
        read_annotation_file(tmp_path / "other-image.dcm", slide_frame(slide))
    other.FrameOfReferenceUID = hd.UID()
    to_slide = hd.spatial.ImageToReferenceTransformer.for_image(other, for_total_pixel_matrix=True)
    bulk(other, "3D", [to_slide(triangle)]).save_as(tmp_path / "other-frame.dcm")
    with pytest.raises(AnnotationReadError, match="another frame of reference"):
        read_annotation_file(tmp_path / "other-frame.dcm", slide_frame(slide))
