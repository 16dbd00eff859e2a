"""Benchmark: a 40x-only slide read at 20x, from frames decoded at half size or resampled, as JSON.

A synthetic slide is written without its 20x level (as many scanners deliver) and analysed
with the demo model and production tiles on the CPU, each way in its own process (so that
its peak memory is its own):
- "resampled": 4402 px windows of the 40x level decoded in full and shrunk on the device
  (how the engine read such slides before issue 18);
- "reduced": frames decoded at half size inside the JPEG decoder (DCT scaling): the 20x
  analysis level directly.
Reading is measured alone (tiles per CPU second, i.e. per core), then one analysis (score,
peak resident memory).

Usage: PYTHONPATH=. python bench/reduced_decoding.py [--width-mm 1.6] [--height-mm 1.3]
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from dicom.slide import WholeSlideImage
from inference.benchmark import measure_reading
from inference.engine import Engine, EngineOptions
from inference.model import load_model, resolve_weights
from inference.source import PlainSource, RegionSource
from plugin.tools.synthetic_slide import SyntheticSlideRequest, write_synthetic_slide

MODES = ("resampled", "reduced")


def measure(folder: Path, mode: str) -> dict[str, object]:
    """One way of reading, in this process: reading alone, then one analysis."""
    engine = Engine(load_model(resolve_weights(None)), EngineOptions(device="cpu"))
    with WholeSlideImage.open(folder) as slide:
        source: RegionSource = slide if mode == "reduced" else PlainSource(slide)
        reading = measure_reading(engine, source)
        result = engine.run(source)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "tiles": reading.tiles,
        "reading_tiles_per_core_s": round(reading.tiles_per_core_s, 2),
        "reading_input_megapixels_per_core_s": round(reading.megapixels_per_core_s, 1),
        "reading_cpu_s": round(reading.cpu_s, 2),
        "decode_reduction": result.statistics.decode_reduction,
        "score": round(result.score, 4),
        "analysis_s": round(result.statistics.timings.total_s, 2),
        "peak_resident_mb": round(peak_kb / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--width-mm", type=float, default=1.6)
    parser.add_argument("--height-mm", type=float, default=1.3)
    parser.add_argument("--seed", type=int, default=101, help="held out: training used 1-16")
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--slide", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.slide, args.child)))
        return
    with tempfile.TemporaryDirectory() as scratch:
        request = SyntheticSlideRequest(
            kind="malignant",
            seed=args.seed,
            width_um=args.width_mm * 1000,
            height_um=args.height_mm * 1000,
        )
        written = write_synthetic_slide(Path(scratch), request)
        written.levels[1].unlink()  # no 20x level
        results: dict[str, object] = {
            "slide_40x_px": [written.width, written.height],
            "cpus": os.cpu_count(),
        }
        for mode in MODES:
            command = [sys.executable, __file__, "--child", mode, "--slide", scratch]
            output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            results[mode] = json.loads(output.strip().splitlines()[-1])
    before, after = results["resampled"], results["reduced"]
    assert isinstance(before, dict) and isinstance(after, dict)
    results["reading_speed_up"] = round(
        after["reading_tiles_per_core_s"] / before["reading_tiles_per_core_s"], 2
    )
    results["score_difference"] = round(abs(after["score"] - before["score"]), 4)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
