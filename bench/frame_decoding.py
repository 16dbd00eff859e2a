"""Benchmark: how often each JPEG frame is decoded when the engine reads a wide slide, as JSON.

A 20x slide much wider than a decoded-frame cache holds in one row of 2200 px tiles is read
tile by tile, row by row, with the engine's reader threads, side by side:
- "lru": a 100 MB least-recently-used cache of decoded frames, as wsidicom's default cache
  (how the engine read before issue 18), whose frames shared by two rows of tiles are gone
  by the time the next row needs them;
- "announced": the engine announces the regions it will read and every frame stays decoded
  until its last reader took it.
The re-decoding factor is frames decoded / distinct frames the tiles touch (1.0: each once).

Usage: PYTHONPATH=. python bench/frame_decoding.py [--width-mm 12] [--height-mm 2.5]
"""

import argparse
import json
import math
import os
import tempfile
import time
from pathlib import Path

from bench.wsi_write import TexturedRenderer
from dicom.slide import WholeSlideImage
from dicom.wsi import PyramidSpec, synthetic_identity, write_pyramid
from inference.batches import BatchProducer, ReadPlan
from inference.reading import announce_reads, read_boxes
from inference.source import PlainSource, RegionSource
from inference.tiling import AnalysisGrid, Size, TileLayout, tile_grid

SPACING_UM = 0.476  # 20x: the base level is analysed as it is


def read_all(
    slide: WholeSlideImage, source: RegionSource, threads: int, layout: TileLayout
) -> dict[str, object]:
    """Every tile of the base level into batches, as the engine reads them; frames counted."""
    level = slide.levels[0]
    spacing = level.pixel_spacing_um
    grid = AnalysisGrid(0, spacing, spacing, Size(level.width, level.height))
    tiles = tile_grid(grid.size, layout)
    plan = ReadPlan(source, grid, layout, tiles, batch_size=4)
    announce_reads(source, grid, layout, tiles)
    cpu, wall = time.process_time(), time.perf_counter()
    with BatchProducer(plan, threads, math.ceil(threads / 4) + 1, pin_memory=False) as producer:
        while producer.get() is not None:
            pass
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    announce_reads(source, grid, layout, [])
    used = slide.frames_used(0, 1, read_boxes(source, grid, layout, tiles))
    return {
        "tiles": len(tiles),
        "frames_used": used,
        "frames_decoded": slide.decoded_frames,
        "redecoding_factor": round(slide.decoded_frames / used, 3),
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "input_megapixels_per_core_s": round(len(tiles) * layout.size**2 / 1e6 / cpu, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--width-mm", type=float, default=12.0)
    parser.add_argument("--height-mm", type=float, default=2.5)
    parser.add_argument("--threads", type=int, default=4, help="reader threads (production: 4)")
    args = parser.parse_args()
    width = round(args.width_mm * 1000 / SPACING_UM)
    height = round(args.height_mm * 1000 / SPACING_UM)
    spec = PyramidSpec(width, height, spacing_um=SPACING_UM, tile_size=512)
    layout = TileLayout(2200, 2000)
    results: dict[str, object] = {
        "slide_px": [width, height],
        "frames_across": math.ceil(width / 512),
        "decoded_megabytes_per_row_of_tiles": round(width * layout.size * 3 / 1e6),
        "cpus": os.cpu_count(),
    }
    with tempfile.TemporaryDirectory() as scratch:
        write_pyramid(Path(scratch), TexturedRenderer(), spec, synthetic_identity(0))
        with WholeSlideImage.open(Path(scratch)) as slide:
            results["lru"] = read_all(slide, PlainSource(slide), args.threads, layout)
        with WholeSlideImage.open(Path(scratch)) as slide:
            results["announced"] = read_all(slide, slide, args.threads, layout)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
