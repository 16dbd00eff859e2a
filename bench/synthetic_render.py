"""Benchmark: synthetic H&E rendering speed (megapixels per second, one core) as JSON.

Run from the repository root: python bench/synthetic_render.py [--repeats N]
"""

import argparse
import json
import time

import numpy as np

from inference.synthetic import SlideKind, SlideLayout, make_layout, render_region

TILE = 1024
SLIDE_UM = (10_000.0, 7_500.0)
SPACINGS = {"40x": 0.238, "20x": 0.476, "10x": 0.952}
THUMBNAIL_SPACING_UM = 16.0


def _tissue_tiles(layout: SlideLayout, spacing: float, count: int) -> list[tuple[int, int]]:
    """Tile origins on tissue: half centred on glands in lesions, half on benign glands."""
    glands = layout.glands
    picks = []
    for kind_is_benign in (True, False):
        chosen = np.flatnonzero((glands.kind == 0) == kind_is_benign)
        step = max(1, chosen.size // (count // 2))
        picks += [int(i) for i in chosen[::step][: count // 2]]
    half = TILE // 2
    return [(int(glands.cx[i] / spacing) - half, int(glands.cy[i] / spacing) - half) for i in picks]


def _measure(
    layout: SlideLayout, spacing: float, regions: list[tuple[int, int, int, int]], repeats: int
) -> float:
    """Best-of-repeats megapixels per second over the given regions."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for x, y, w, h in regions:
            render_region(layout, spacing, x, y, w, h)
        best = min(best, time.perf_counter() - start)
    pixels = sum(w * h for _, _, w, h in regions)
    return pixels / best / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tiles", type=int, default=4)
    args = parser.parse_args()
    layout = make_layout(SlideKind.MALIGNANT, 7, *SLIDE_UM)
    result: dict[str, object] = {"tile": TILE, "slide_um": SLIDE_UM}
    render_region(layout, 0.238, 0, 0, 64, 64)  # warm up imports and caches
    for name, spacing in SPACINGS.items():
        tiles = _tissue_tiles(layout, spacing, args.tiles)
        regions = [(x, y, TILE, TILE) for x, y in tiles]
        result[f"mpx_per_s_{name}"] = round(_measure(layout, spacing, regions, args.repeats), 2)
    width = int(SLIDE_UM[0] / THUMBNAIL_SPACING_UM)
    height = int(SLIDE_UM[1] / THUMBNAIL_SPACING_UM)
    thumb = [(0, 0, width, height)]
    result["thumbnail"] = {"spacing_um": THUMBNAIL_SPACING_UM, "size": [width, height]}
    result["mpx_per_s_thumbnail"] = round(_measure(layout, THUMBNAIL_SPACING_UM, thumb, 1), 3)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
