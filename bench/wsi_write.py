"""Write throughput of the synthetic WSI writer: base megapixels per second and file sizes (JSON).

Usage: PYTHONPATH=. python bench/wsi_write.py [--width 32768] [--height 16384] [--tile-size 512]
"""

import argparse
import json
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from dicom.wsi import PyramidSpec, synthetic_identity, write_pyramid
from dicom.wsi.writer import MAX_ENCODER_THREADS


class TexturedRenderer:
    """Cheap, tissue-like pixels (smooth pink texture): the benchmark measures the writer."""

    def __init__(self, seed: int = 0, period: int = 1024) -> None:
        rng = np.random.default_rng(seed)
        coarse = rng.random((period // 32, period // 32, 3))
        smooth = np.kron(coarse, np.ones((32, 32, 1)))
        fine = rng.normal(0, 6, (period, period, 3))
        base = np.array([220.0, 150.0, 190.0])
        self._texture = np.clip(base - 60 * smooth + fine, 0, 255).astype(np.uint8)
        self._period = period

    def __call__(self, x: int, y: int, width: int, height: int) -> np.ndarray:
        rows = self._texture[np.arange(y, y + height) % self._period]
        left = x % self._period
        repeats = -(-(left + width) // self._period)
        return np.tile(rows, (1, repeats, 1))[:, left : left + width]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--width", type=int, default=32768)
    parser.add_argument("--height", type=int, default=16384)
    parser.add_argument("--tile-size", type=int, default=512)
    parser.add_argument("--quality", type=int, default=90)
    parser.add_argument("--threads", type=int, default=None, help="JPEG threads (default: CPUs)")
    args = parser.parse_args()
    spec = PyramidSpec(args.width, args.height, tile_size=args.tile_size, jpeg_quality=args.quality)
    renderer = TexturedRenderer()
    started = time.perf_counter()
    for top in range(0, spec.height, spec.tile_size):
        renderer(0, top, spec.width, min(spec.tile_size, spec.height - top))
    render_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        paths = write_pyramid(
            Path(folder), renderer, spec, synthetic_identity(0), threads=args.threads
        )
        total_s = time.perf_counter() - started
        sizes = {path.name: path.stat().st_size for path in paths}
    megapixels = spec.width * spec.height / 1e6
    print(
        json.dumps(
            {
                "base_megapixels": round(megapixels, 2),
                "levels": len(spec.levels),
                "tile_size": spec.tile_size,
                "jpeg_quality": spec.jpeg_quality,
                "seconds": round(total_s, 3),
                "megapixels_per_s": round(megapixels / total_s, 1),
                "render_seconds": round(render_s, 3),
                "megapixels_per_s_without_render": round(megapixels / (total_s - render_s), 1),
                "cpus": os.cpu_count(),
                "threads": args.threads or min(os.cpu_count() or 1, MAX_ENCODER_THREADS),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                "strip_mb": round(spec.width * spec.tile_size * 3 / 2**20, 1),
                "file_bytes": sizes,
                "total_bytes": sum(sizes.values()),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
