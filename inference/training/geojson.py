"""Annotations as QuPath exports them: GeoJSON polygons in base-level (full resolution) pixels.

QuPath writes a FeatureCollection, or a bare list of Features (older versions); the class
is `properties.classification.name`. Cell detections and points or lines are not regions
of a label and are skipped; an annotation without a class is named "unclassified".
"""

import logging
from collections.abc import Iterator
from typing import Any

import numpy as np

from inference.errors import AnnotationError
from inference.training.labels import ClassMapping
from inference.training.regions import LabelledPolygon

log = logging.getLogger(__name__)

UNCLASSIFIED = "unclassified"
_REGION_TYPES = ("Polygon", "MultiPolygon")
_NOT_REGIONS = ("detection", "cell", "tile")


def polygons_from_geojson(
    data: Any, base_spacing_um: float, mapping: ClassMapping, where: str
) -> list[LabelledPolygon]:
    """The labelled polygons of parsed GeoJSON; coordinates scaled from pixels to micrometres."""
    polygons: list[LabelledPolygon] = []
    skipped = 0
    for feature in _features(data, where):
        geometry = feature.get("geometry") or {}
        properties = feature.get("properties") or {}
        if geometry.get("type") not in _REGION_TYPES or _object_type(properties) in _NOT_REGIONS:
            skipped += 1
            continue
        label = mapping.require(class_names(properties), where)
        for rings in _polygon_rings(geometry, where):
            scaled = [ring * base_spacing_um for ring in rings]
            polygons.append(LabelledPolygon(label, scaled[0], tuple(scaled[1:])))
    if skipped:
        log.info("%s: skipped %d features that are not annotated regions", where, skipped)
    return polygons


def class_names(properties: dict[str, Any]) -> tuple[str, ...]:
    """The names a feature's class goes by: QuPath's classification (name, or its parts)."""
    classification = properties.get("classification")
    if isinstance(classification, str) and classification.strip():
        return (classification,)
    if isinstance(classification, dict):
        name = classification.get("name")
        names = classification.get("names")
        if isinstance(name, str) and name.strip():
            return (name,)
        if isinstance(names, list) and names:
            # A derived class such as "Tumor: Positive": the whole, then each part.
            return (": ".join(map(str, names)), *map(str, names))
    return (UNCLASSIFIED,)


def _features(data: Any, where: str) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        items: list[Any] = data
    elif isinstance(data, dict) and data.get("type") == "FeatureCollection":
        items = data.get("features") or []
    elif isinstance(data, dict) and data.get("type") == "Feature":
        items = [data]
    else:
        raise AnnotationError(
            f"{where} is not GeoJSON as QuPath exports it (a FeatureCollection or Features)"
        )
    for item in items:
        if not isinstance(item, dict) or item.get("type") != "Feature":
            raise AnnotationError(f"{where} holds an entry that is not a GeoJSON Feature")
        yield item


def _object_type(properties: dict[str, Any]) -> str:
    return str(properties.get("objectType") or "annotation").lower()


def _polygon_rings(geometry: dict[str, Any], where: str) -> Iterator[list[np.ndarray]]:
    coordinates = geometry.get("coordinates")
    polygons = [coordinates] if geometry["type"] == "Polygon" else coordinates
    if not isinstance(polygons, list):
        raise AnnotationError(f"{where}: a {geometry['type']} has no coordinate list")
    for polygon in polygons:
        try:
            rings = [np.asarray(ring, dtype=np.float64)[:, :2] for ring in polygon]
        except (TypeError, ValueError, IndexError):
            raise AnnotationError(f"{where}: a polygon's coordinates are not numbers") from None
        # GeoJSON repeats the first point at the end; rings of fewer than 3 points are empty.
        rings = [
            ring[:-1] if len(ring) > 1 and (ring[0] == ring[-1]).all() else ring for ring in rings
        ]
        if rings and len(rings[0]) >= 3:
            yield [ring for ring in rings if len(ring) >= 3]
