"""Finding slides and their annotations in a folder, and reading them as labelled regions."""

import json
from pathlib import Path

import numpy as np
import pydicom

from dicom.wsi import PyramidSpec, synthetic_identity, write_pyramid
from inference.training import ClassMapping, LabelledPolygon, PixelLabel
from plugin.tools.annotated_slides import find_slides, open_training_slides, read_annotations
from tests.dicom.annotation_files import bulk
from tests.dicom.wsi.renderers import ShapesRenderer
from tests.plugin.annotated import geojson, write_annotated_slide

SPEC = PyramidSpec(1024, 768, spacing_um=0.25, tile_size=128, min_level_size=128)


def test_slides_and_every_kind_of_annotation_file_are_found(tmp_path: Path) -> None:
    write_annotated_slide(tmp_path / "a" / "slide-1", 0, malignant=True)
    unannotated = tmp_path / "b" / "slide-2"
    write_annotated_slide(unannotated, 1, malignant=False)
    for path in (unannotated / "truth").iterdir():
        path.unlink()
    sibling = tmp_path / "b" / "slide-2.geojson"
    sibling.write_text(json.dumps(geojson(True, name="Stroma")))
    found = find_slides(tmp_path)
    assert [files.name for files in found] == ["slide-1", "slide-2"]
    assert [path.name for path in found[0].geojson] == ["annotations.geojson"]
    assert found[1].geojson == (sibling,)
    assert len(found[0].images) == 4 and not found[0].dicom_annotations


def test_dicom_annotations_beside_the_slide_are_read_and_the_slide_still_opens(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "slide"
    paths = write_pyramid(
        folder,
        ShapesRenderer(SPEC.width, SPEC.height),
        SPEC,
        synthetic_identity(5, case="B-1", kind="ann"),
    )
    outline = np.array([[10.0, 20.0], [110.0, 20.0], [110.0, 70.0], [10.0, 70.0]])
    level = pydicom.dcmread(paths[1], stop_before_pixels=True)
    bulk(level, "2D", [outline]).save_as(folder / "annotations.dcm")
    (folder / "extra.geojson").write_text(json.dumps(geojson(True, name="Ignore*")))
    (found,) = find_slides(tmp_path)
    assert found.dicom_annotations == (folder / "annotations.dcm",)
    regions = read_annotations(found, ClassMapping()).regions
    assert [region.label for region in regions] == [PixelLabel.MALIGNANT, PixelLabel.IGNORE]
    first = regions[0]
    assert isinstance(first, LabelledPolygon)
    assert np.allclose(first.exterior, outline * 0.5)  # level 1 is 0.5 um per pixel
    with open_training_slides([found], ClassMapping()) as slides:
        assert slides[0].source.levels[0].width == SPEC.width
        assert slides[0].annotations.labels_present() == {PixelLabel.MALIGNANT, PixelLabel.IGNORE}
