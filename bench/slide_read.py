"""Opening and reading slides: conformant files, and files whose headers are repaired in memory.

Prints JSON: time to open, and base-level read throughput with several threads (the engine's
access pattern), for plain wsidicom, `WholeSlideImage` on conformant files, and
`WholeSlideImage` on the same files without ImageType and PyramidUID
(repaired headers spliced before the received pixel data).

Usage: PYTHONPATH=. python bench/slide_read.py [--width 8192] [--height 8192] [--threads 4]
"""

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np
from pydicom import dcmread
from wsidicom import WsiDicom

from bench.wsi_write import TexturedRenderer
from dicom.slide import WholeSlideImage
from dicom.wsi import PyramidSpec, synthetic_identity, write_pyramid

Reader = Callable[[int, int, int, int], np.ndarray]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--width", type=int, default=8192)
    parser.add_argument("--height", type=int, default=8192)
    parser.add_argument("--tile-size", type=int, default=512)
    parser.add_argument("--region", type=int, default=2200, help="side of the regions read")
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    spec = PyramidSpec(args.width, args.height, tile_size=args.tile_size)
    with tempfile.TemporaryDirectory() as temporary:
        conformant, repaired = Path(temporary, "conformant"), Path(temporary, "repaired")
        write_pyramid(conformant, TexturedRenderer(), spec, synthetic_identity(0))
        _write_without_image_type(conformant, repaired)
        results = {
            "base_megapixels": round(spec.width * spec.height / 1e6, 2),
            "tile_size": spec.tile_size,
            "region": args.region,
            "threads": args.threads,
            "cpus": os.cpu_count(),
            "wsidicom": _measure_wsidicom(conformant, args),
            "slide_conformant": _measure_slide(conformant, args),
            "slide_repaired": _measure_slide(repaired, args),
        }
    print(json.dumps(results, indent=2))


def _write_without_image_type(source: Path, out: Path) -> None:
    out.mkdir()
    for path in sorted(source.glob("level-*.dcm")):
        dataset = dcmread(path)
        del dataset.ImageType, dataset.PyramidUID
        dataset.save_as(out / path.name, enforce_file_format=True)


def _measure_slide(folder: Path, args: argparse.Namespace) -> dict[str, float]:
    open_s = statistics.median(
        _seconds(lambda: WholeSlideImage.open(folder).close()) for _ in range(5)
    )
    best = float("inf")
    for _ in range(3):
        with WholeSlideImage.open(folder) as slide:
            best = min(best, _read_all(partial(slide.read_region, 0), args))
    return _figures(open_s, best, args)


def _measure_wsidicom(folder: Path, args: argparse.Namespace) -> dict[str, float]:
    open_s = statistics.median(_seconds(lambda: WsiDicom.open(folder).close()) for _ in range(5))
    best = float("inf")
    for _ in range(3):
        with WsiDicom.open(folder) as wsi:

            def read(x: int, y: int, w: int, h: int, wsi: WsiDicom = wsi) -> np.ndarray:
                return np.asarray(wsi.read_region((x, y), 0, (w, h), as_array=True))

            best = min(best, _read_all(read, args))
    return _figures(open_s, best, args)


def _read_all(read: Reader, args: argparse.Namespace) -> float:
    """Seconds to read the base level in regions of `args.region` from `args.threads` threads."""
    side = args.region
    corners = [
        (x, y)
        for y in range(0, args.height - side + 1, side)
        for x in range(0, args.width - side + 1, side)
    ]
    started = time.perf_counter()
    with ThreadPoolExecutor(args.threads) as pool:
        list(pool.map(lambda corner: read(corner[0], corner[1], side, side), corners))
    return (time.perf_counter() - started) / len(corners)


def _figures(open_s: float, region_s: float, args: argparse.Namespace) -> dict[str, float]:
    return {
        "open_ms": round(open_s * 1000, 1),
        "region_ms": round(region_s * 1000, 1),
        "megapixels_per_s": round(args.region**2 / 1e6 / region_s, 1),
    }


def _seconds(action: Callable[[], None]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
