"""A synthetic slide on disk: inference.synthetic draws it, dicom.wsi writes it, plus truth."""

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from config import PathSentryError
from dicom.wsi import PyramidSpec, make_label_image, synthetic_identity, write_pyramid
from inference.synthetic import (
    ArtefactSlide,
    ArtefactSpec,
    SlideKind,
    lesion_polygons,
    make_artefact_slide,
    render_labels,
)

# Truth labels are written at the spacing of this pyramid level (8x the base: about 1.9 µm/px).
TRUTH_LEVEL = 3
OVERVIEW_LONG_SIDE = 1024
LESION_CLASS = "Tumor"  # QuPath's default class for cancer


@dataclass(frozen=True)
class SyntheticSlideRequest:
    """What slide to make."""

    kind: str
    seed: int
    width_um: float
    height_um: float
    spacing_um: float = 0.238
    case: str | None = None
    tile_size: int = 512
    jpeg_quality: int = 90
    artefacts: tuple[ArtefactSpec, ...] = ()


@dataclass(frozen=True)
class SyntheticSlide:
    """A slide that was written: its files, identity and truth."""

    folder: Path
    kind: str
    seed: int
    study_uid: str
    series_uid: str
    accession_number: str
    width: int
    height: int
    levels: tuple[Path, ...]
    extras: tuple[Path, ...]
    truth_dir: Path
    lesion_fraction: float
    artefact_fractions: dict[str, float]

    def summary(self) -> dict[str, Any]:
        """The slide as plain JSON data (paths as strings)."""
        return {
            "folder": str(self.folder),
            "kind": self.kind,
            "seed": self.seed,
            "study_uid": self.study_uid,
            "series_uid": self.series_uid,
            "accession_number": self.accession_number,
            "width": self.width,
            "height": self.height,
            "levels": [str(path) for path in self.levels],
            "extras": [str(path) for path in self.extras],
            "truth_dir": str(self.truth_dir),
            "lesion_fraction": self.lesion_fraction,
            "artefact_fractions": self.artefact_fractions,
        }


def write_synthetic_slide(out: Path, request: SyntheticSlideRequest) -> SyntheticSlide:
    """Render the slide tile by tile into a DICOM pyramid, then write its truth beside it."""
    kind = _kind(request.kind)
    slide = make_artefact_slide(
        kind, request.seed, request.width_um, request.height_um, request.artefacts
    )
    spacing = request.spacing_um
    spec = PyramidSpec(
        width=math.ceil(request.width_um / spacing),
        height=math.ceil(request.height_um / spacing),
        spacing_um=spacing,
        tile_size=request.tile_size,
        jpeg_quality=request.jpeg_quality,
    )
    identity = synthetic_identity(request.seed, request.case, kind.value)

    def render_base(x: int, y: int, width: int, height: int) -> np.ndarray:
        return slide.render(spacing, x, y, width, height)

    paths = write_pyramid(
        out,
        render_base,
        spec,
        identity,
        label=make_label_image(identity),
        overview=_overview(slide, spec),
    )
    level_count = len(spec.levels)
    truth_dir = out / "truth"
    fraction, artefact_fractions = write_truth(truth_dir, slide, spec)
    return SyntheticSlide(
        folder=out,
        kind=kind.value,
        seed=request.seed,
        study_uid=identity.study_uid,
        series_uid=identity.series_uid,
        accession_number=identity.accession_number,
        width=spec.width,
        height=spec.height,
        levels=tuple(paths[:level_count]),
        extras=tuple(paths[level_count:]),
        truth_dir=truth_dir,
        lesion_fraction=fraction,
        artefact_fractions=artefact_fractions,
    )


def write_truth(
    folder: Path, slide: ArtefactSlide, spec: PyramidSpec
) -> tuple[float, dict[str, float]]:
    """Write labels.png, artefacts-KIND.png, annotations.geojson and truth.json.

    Returns the lesion share of the tissue and, per artefact kind, its share of the tissue.
    """
    layout = slide.layout
    level = spec.levels[TRUTH_LEVEL]
    labels = render_labels(layout, level.spacing_um, 0, 0, level.width, level.height)
    folder.mkdir(parents=True, exist_ok=True)
    Image.fromarray(labels).save(folder / "labels.png", optimize=True)
    outlines = [polygon / spec.spacing_um for polygon in lesion_polygons(layout)]
    (folder / "annotations.geojson").write_text(json.dumps(_geojson(outlines)))
    tissue = int(np.count_nonzero(labels))
    fraction = float(np.count_nonzero(labels == 2) / tissue) if tissue else 0.0
    artefacts = _write_artefact_masks(folder, slide, level.spacing_um, labels > 0)
    truth = {
        "kind": layout.kind.value,
        "seed": layout.seed,
        "labels": {"file": "labels.png", "values": {"0": "glass", "1": "benign", "2": "malignant"}},
        "labels_spacing_um": level.spacing_um,
        "labels_level": TRUTH_LEVEL,
        "base_spacing_um": spec.spacing_um,
        "lesions": len(outlines),
        "lesion_fraction_of_tissue": fraction,
        "tissue_area_mm2": tissue * (level.spacing_um / 1000) ** 2,
        "artefacts": artefacts,
    }
    (folder / "truth.json").write_text(json.dumps(truth, indent=2))
    return fraction, {kind: entry["fraction_of_tissue"] for kind, entry in artefacts.items()}


def _write_artefact_masks(
    folder: Path, slide: ArtefactSlide, spacing_um: float, tissue: np.ndarray
) -> dict[str, dict[str, Any]]:
    """artefacts-KIND.png (255 where the artefact lies, at the labels' spacing) per kind drawn."""
    masks = slide.truth(spacing_um)
    entries: dict[str, dict[str, Any]] = {}
    tissue_pixels = max(1, int(np.count_nonzero(tissue)))
    for kind, mask in masks.items():
        name = f"artefacts-{kind.value}.png"
        Image.fromarray(mask.astype(np.uint8) * 255).save(folder / name, optimize=True)
        entries[kind.value] = {
            "file": name,
            "specs": [spec.describe() for spec in slide.specs if spec.kind is kind],
            "fraction_of_tissue": float(np.count_nonzero(mask & tissue) / tissue_pixels),
        }
    return entries


def _geojson(outlines: list[np.ndarray]) -> dict[str, Any]:
    """Lesion outlines as a QuPath GeoJSON FeatureCollection in base-level pixel coordinates."""
    features = []
    for outline in outlines:
        ring = [[round(float(x), 2), round(float(y), 2)] for x, y in outline]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
                "properties": {
                    "objectType": "annotation",
                    "classification": {"name": LESION_CLASS, "color": [200, 0, 0]},
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _overview(slide: ArtefactSlide, spec: PyramidSpec) -> np.ndarray:
    """A macro photograph of the slide area, about OVERVIEW_LONG_SIDE pixels on its long side."""
    spacing = max(spec.width, spec.height) * spec.spacing_um / OVERVIEW_LONG_SIDE
    width = max(2, round(spec.width * spec.spacing_um / spacing))
    height = max(2, round(spec.height * spec.spacing_um / spacing))
    return slide.render(spacing, 0, 0, width, height)


def _kind(value: str) -> SlideKind:
    try:
        return SlideKind(value)
    except ValueError:
        allowed = ", ".join(kind.value for kind in SlideKind)
        raise PathSentryError(f"--kind must be one of {allowed}; got {value!r}") from None
