"""Small annotated DICOM slides written in the test: a dark lesion outlined in QuPath GeoJSON."""

import json
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from tests.dicom.wsm_files import write_pyramid
from tests.inference.fixtures import tissue_image

SPACING = 0.476
HEIGHT, WIDTH = 960, 1280
# The lesion in base-level pixels: left, top, right, bottom.
LESION = (300, 250, 520, 420)


def slide_pixels(seed: int, malignant: bool) -> np.ndarray:
    image = tissue_image(HEIGHT, WIDTH, seed)
    if malignant:
        left, top, right, bottom = LESION
        image[top:bottom, left:right] = (80, 40, 120)
    return image


def geojson(malignant: bool, name: str = "Tumor") -> dict[str, Any]:
    left, top, right, bottom = LESION
    ring = [[left, top], [right, top], [right, bottom], [left, bottom], [left, top]]
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [ring]},
            "properties": {"objectType": "annotation", "classification": {"name": name}},
        }
    ]
    return {"type": "FeatureCollection", "features": features if malignant else []}


def write_truth(folder: Path, malignant: bool) -> None:
    """truth/ as `pathsentry synth` writes it: labels at 4x the base spacing, and GeoJSON."""
    truth = folder / "truth"
    truth.mkdir(parents=True, exist_ok=True)
    (truth / "annotations.geojson").write_text(json.dumps(geojson(malignant)))
    image = tissue_image(HEIGHT, WIDTH, 0)
    tissue = (image[..., 0] < 230)[2::4, 2::4]
    labels = tissue.astype(np.uint8)
    if malignant:
        left, top, right, bottom = (value // 4 for value in LESION)
        labels[top:bottom, left:right] = 2
    Image.fromarray(labels).save(truth / "labels.png")
    description = {"labels": {"file": "labels.png"}, "labels_spacing_um": 4 * SPACING}
    (truth / "truth.json").write_text(json.dumps(description))


def write_annotated_slide(folder: Path, seed: int, malignant: bool) -> Path:
    """A slide folder with DICOM levels and its truth (GeoJSON and label raster)."""
    write_pyramid(folder, slide_pixels(seed, malignant), spacing_um=SPACING, levels=4, tile=128)
    write_truth(folder, malignant)
    return folder
