"""Benchmark: what the quality gate adds to a slide's analysis, side by side, as JSON.

For each slide size, a synthetic slide is written as a DICOM pyramid and opened as the service
opens it; the engine (demo model, production tiles, CPU) prepares it, then `--repeats` pairs
run back to back: `assess_quality` on the prepared tissue mask, then the engine's analysis.
The ratio is the gate's time over the analysis's time (target: at most 0.10); the median pair
counts, every pair's ratio is kept (on shared cores the neighbours' load moves single pairs).
The focus check alone (`focus_s`) is timed in each pair too.

Usage: PYTHONPATH=. python bench/quality_cost.py [--sizes-mm 2x1.5,4x3] [--repeats 3]
       [--focus-spacing-um 1.0] [--out bench/results/quality-cost.json]
"""

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from dicom.slide import WholeSlideImage
from inference.engine import Engine, EngineOptions
from inference.model import load_model, resolve_weights
from inference.quality import QualityParameters, assess_quality
from inference.quality.assess import blur_mask
from plugin.tools.synthetic_slide import SyntheticSlideRequest, write_synthetic_slide


def measure(
    engine: Engine, folder: Path, repeats: int, parameters: QualityParameters
) -> dict[str, object]:
    """The gate's, the focus check's and the analysis's times on one slide, in pairs."""
    pairs = []
    with WholeSlideImage.open(folder) as slide:
        plan = engine.prepare(slide)
        for _ in range(repeats):
            started = time.perf_counter()
            quality = assess_quality(slide, plan.tissue, parameters)
            gate_s = time.perf_counter() - started
            started = time.perf_counter()
            blur_mask(slide, plan.tissue, parameters)
            focus_s = time.perf_counter() - started
            started = time.perf_counter()
            result = engine.run(slide, plan=plan)
            analysis_s = time.perf_counter() - started
            pairs.append((gate_s / analysis_s, gate_s, focus_s, analysis_s))
    ratio, gate_s, focus_s, analysis_s = sorted(pairs)[len(pairs) // 2]
    return {
        "tissue_mm2": round(plan.tissue.area_mm2, 2),
        "tiles": len(plan.tiles),
        "ratio": round(ratio, 4),
        "quality_s": round(gate_s, 3),
        "focus_s": round(focus_s, 3),
        "analysis_s": round(analysis_s, 2),
        "ratios": [round(pair[0], 4) for pair in pairs],
        "median_focus_s": round(statistics.median(pair[2] for pair in pairs), 3),
        "evaluable_fraction": round(quality.evaluable_fraction, 3),
        "findings": quality.findings(),
        "score": round(result.score, 4),
    }


def slide_size(text: str) -> tuple[float, float]:
    width, height = text.split("x")
    return float(width), float(height)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes-mm", default="2x1.5,4x3", help="width x height, comma-separated")
    parser.add_argument("--seed", type=int, default=101, help="held out: training used 1-16")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--focus-spacing-um", type=float, default=QualityParameters().focus_spacing_um
    )
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args()
    parameters = QualityParameters(focus_spacing_um=args.focus_spacing_um)
    engine = Engine(load_model(resolve_weights(None)), EngineOptions(device="cpu"))
    slides = []
    for size in args.sizes_mm.split(","):
        width_mm, height_mm = slide_size(size)
        with tempfile.TemporaryDirectory() as scratch:
            request = SyntheticSlideRequest(
                kind="malignant",
                seed=args.seed,
                width_um=width_mm * 1000,
                height_um=height_mm * 1000,
            )
            written = write_synthetic_slide(Path(scratch), request)
            slides.append(
                {
                    "size_mm": [width_mm, height_mm],
                    "slide_px": [written.width, written.height],
                    **measure(engine, Path(scratch), args.repeats, parameters),
                }
            )
    results = {
        "cpus": os.cpu_count(),
        "load_average": [round(load, 1) for load in os.getloadavg()],
        "focus_spacing_um": args.focus_spacing_um,
        "repeats": args.repeats,
        "slides": slides,
    }
    text = json.dumps(results)
    if args.out:
        args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(text)


if __name__ == "__main__":
    main()
