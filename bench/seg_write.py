"""Time and size of writing the SEG of a probability map covering 10^9 pixels at 20x (JSON).

By default the map lies on the grid of the source level 1/8 of the 20x grid (the output stride
of DeepLab v3 at 20x): a 40x slide at 0.238 µm/pixel has that grid at level 4 (3.81 µm/pixel),
where 10^9 pixels at 20x are 10^9 / 64 = 15.6 million map pixels. `--map-level 3` (1.9 µm) or
2 (0.95 µm) measure a finer map (inference.map_spacing_um), 4 and 16 times the pixels. The SEG
pyramid covers the map's level and every coarser level; values below `--floor` are stored as 0
(results.probability_floor). Target at level 4: at most 2 s of CPU and 30 MB. Finding the
foci on the same map (threshold 0.5, at most 5) is timed too.

Usage: PYTHONPATH=. python bench/seg_write.py [--megapixels-20x 1000] [--map-level 4]
       [--floor 0.1] [--compression JPEG_LS] [--layout FULL]
"""

import argparse
import datetime
import json
import math
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image
from pydicom.dataset import Dataset

from dicom.results.foci import find_foci
from dicom.results.provenance import Algorithm, ResultIdentity
from dicom.results.seg import (
    Compression,
    DimensionOrganization,
    SegmentationOptions,
    write_segmentation,
)
from dicom.wsi import PyramidSpec, synthetic_identity
from dicom.wsi.image_modules import (
    FrameStatistics,
    ImageDescription,
    ImageFlavor,
    image_dataset,
    volume_origin_mm,
)
from dicom.wsi.slide_modules import slide_dataset

SPACING_40X_UM = 0.238
MAP_LEVEL = 4  # 40x / 2**4 = 2.5x, i.e. 1/8 of the 20x grid
ASPECT = 2.0  # width / height of the scanned area


def source_levels(megapixels_20x: float) -> tuple[Dataset, ...]:
    """Headers of a 40x slide whose area holds `megapixels_20x` at 20x (no pixels needed)."""
    pixels_40x = megapixels_20x * 1e6 * 4
    height = round(math.sqrt(pixels_40x / ASPECT))
    spec = PyramidSpec(round(height * ASPECT), height, spacing_um=SPACING_40X_UM, tile_size=512)
    identity = synthetic_identity(1, case="BENCH")
    slide = slide_dataset(identity)
    levels = []
    for index, geometry in enumerate(spec.levels):
        image = ImageDescription(
            flavor=ImageFlavor.VOLUME,
            geometry=geometry,
            instance_number=index + 1,
            role=f"level-{index}",
            resampled=index > 0,
            origin_mm=volume_origin_mm(spec.base),
        )
        levels.append(
            image_dataset(slide, identity, image, FrameStatistics(geometry.frame_count, 1))
        )
    return tuple(levels)


def probability_map(rows: int, columns: int, seed: int = 0) -> np.ndarray:
    """A tissue-like map: zero off tissue (about half the slide), smooth blobs with noise on it."""
    rng = np.random.default_rng(seed)

    def smooth(cells: int) -> np.ndarray:
        coarse = rng.random((cells, round(cells * columns / rows))).astype(np.float32)
        return np.asarray(
            Image.fromarray(coarse).resize((columns, rows), Image.Resampling.BILINEAR)
        )

    tissue = smooth(12) > 0.5
    probability = smooth(40) ** 3 + rng.normal(0, 0.02, (rows, columns)).astype(np.float32)
    probability[~tissue] = 0.0
    result: np.ndarray = np.clip(probability, 0.0, 1.0)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--megapixels-20x", type=float, default=1000.0)
    parser.add_argument("--compression", choices=[c.name for c in Compression], default="JPEG_LS")
    parser.add_argument("--layout", choices=[f.name for f in DimensionOrganization], default="FULL")
    parser.add_argument("--map-level", type=int, choices=range(1, 7), default=MAP_LEVEL)
    parser.add_argument("--floor", type=float, default=0.1)
    args = parser.parse_args()
    levels = source_levels(args.megapixels_20x)
    level = levels[args.map_level]
    probability = probability_map(
        int(level.TotalPixelMatrixRows), int(level.TotalPixelMatrixColumns)
    )
    algorithm = Algorithm("bench model", "0", "00" * 32, "bench", 1000, 0.5)
    identity = ResultIdentity(level.SeriesInstanceUID, algorithm)
    options = SegmentationOptions(
        compression=Compression[args.compression],
        layout=DimensionOrganization[args.layout],
        floor=args.floor,
    )
    when = datetime.datetime(2024, 1, 1)
    with tempfile.TemporaryDirectory() as folder:
        cpu, wall = time.process_time(), time.perf_counter()
        written = write_segmentation(Path(folder), probability, levels, identity, when, options)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        sizes = {file.path.name: file.path.stat().st_size for file in written}
    foci_cpu = time.process_time()
    foci = find_foci(probability, algorithm.threshold, count=5)
    foci_cpu = time.process_time() - foci_cpu
    print(
        json.dumps(
            {
                "megapixels_20x": args.megapixels_20x,
                "map_level": args.map_level,
                "map_spacing_um": round(SPACING_40X_UM * 2**args.map_level, 3),
                "floor": args.floor,
                "map_shape": list(probability.shape),
                "map_megapixels": round(probability.size / 1e6, 2),
                "tissue_fraction": round(float((probability > 0).mean()), 3),
                "compression": args.compression,
                "layout": args.layout,
                "seg_levels": len(written),
                "cpu_seconds": round(cpu, 3),
                "wall_seconds": round(wall, 3),
                "file_bytes": sizes,
                "total_mb": round(sum(sizes.values()) / 1e6, 2),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                "foci": len(foci),
                "foci_cpu_seconds": round(foci_cpu, 3),
                "target": {"cpu_seconds": 2.0, "total_mb": 30.0},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
