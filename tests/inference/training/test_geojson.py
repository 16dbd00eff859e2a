"""QuPath GeoJSON: the shapes QuPath writes become labelled polygons in micrometres."""

from typing import Any

import numpy as np
import pytest

from inference.errors import AnnotationError
from inference.training import ClassMapping, PixelLabel, polygons_from_geojson


def feature(
    geometry: dict[str, Any], name: str | None, object_type: str = "annotation"
) -> dict[str, Any]:
    properties: dict[str, Any] = {"objectType": object_type}
    if name is not None:
        properties["classification"] = {"name": name, "color": [200, 0, 0]}
    return {"type": "Feature", "geometry": geometry, "properties": properties}


SQUARE = [[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]]
HOLED = [[[0, 0], [20, 0], [20, 20], [0, 20], [0, 0]], [[5, 5], [15, 5], [15, 15], [5, 15], [5, 5]]]


def test_a_feature_collection_becomes_polygons_scaled_to_micrometres() -> None:
    data = {
        "type": "FeatureCollection",
        "features": [
            feature({"type": "Polygon", "coordinates": SQUARE}, "Tumor"),
            feature({"type": "MultiPolygon", "coordinates": [SQUARE, HOLED]}, "Stroma"),
            feature({"type": "Polygon", "coordinates": SQUARE}, "Tumor", object_type="detection"),
            feature({"type": "Point", "coordinates": [3, 3]}, "Tumor"),
        ],
    }
    polygons = polygons_from_geojson(data, 0.25, ClassMapping(), "test.geojson")
    assert [polygon.label for polygon in polygons] == [
        PixelLabel.MALIGNANT,
        PixelLabel.BENIGN,
        PixelLabel.BENIGN,
    ]
    # The closing point is dropped; pixels become micrometres.
    assert np.array_equal(polygons[0].exterior, np.array([[0, 0], [2.5, 0], [2.5, 2.5], [0, 2.5]]))
    assert len(polygons[2].holes) == 1
    assert polygons[2].area_um2 == pytest.approx((5 * 5) - (2.5 * 2.5))


def test_older_exports_as_a_list_and_single_features_are_read() -> None:
    single = feature({"type": "Polygon", "coordinates": SQUARE}, "Ignore*")
    assert polygons_from_geojson([single], 1.0, ClassMapping(), "a")[0].label == PixelLabel.IGNORE
    assert len(polygons_from_geojson(single, 1.0, ClassMapping(), "b")) == 1


def test_unclassified_annotations_need_a_mapping() -> None:
    unnamed = feature({"type": "Polygon", "coordinates": SQUARE}, None)
    with pytest.raises(AnnotationError, match="'unclassified'"):
        polygons_from_geojson([unnamed], 1.0, ClassMapping(), "c")
    mapping = ClassMapping.parse(["unclassified=ignore"])
    assert polygons_from_geojson([unnamed], 1.0, mapping, "c")[0].label == PixelLabel.IGNORE


def test_what_is_not_geojson_is_refused() -> None:
    with pytest.raises(AnnotationError, match="not GeoJSON"):
        polygons_from_geojson({"type": "Polygon"}, 1.0, ClassMapping(), "d")
    with pytest.raises(AnnotationError, match="not numbers"):
        bad = feature({"type": "Polygon", "coordinates": [[["a", 1], [2, 2], [3, 1]]]}, "Tumor")
        polygons_from_geojson([bad], 1.0, ClassMapping(), "e")
