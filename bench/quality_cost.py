"""Benchmark: what the quality gate adds to a slide's analysis, side by side, as JSON.

A synthetic slide is written as a DICOM pyramid and opened as the service opens it; the
engine (demo model, production tiles, CPU) prepares it, then `assess_quality` runs on the
prepared tissue mask (best of `--repeats`) and the engine analyses the slide once. The
ratio is the gate's time over the analysis's time (target: at most 0.10).

Usage: PYTHONPATH=. python bench/quality_cost.py [--width-mm 2.0] [--height-mm 1.5]
       [--focus-spacing-um 1.0]
"""

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from dicom.slide import WholeSlideImage
from inference.engine import Engine, EngineOptions
from inference.model import load_model, resolve_weights
from inference.quality import QualityParameters, assess_quality
from plugin.tools.synthetic_slide import SyntheticSlideRequest, write_synthetic_slide


def measure(folder: Path, repeats: int, parameters: QualityParameters) -> dict[str, object]:
    """The gate's time and the analysis's time on one slide, in this process."""
    engine = Engine(load_model(resolve_weights(None)), EngineOptions(device="cpu"))
    with WholeSlideImage.open(folder) as slide:
        plan = engine.prepare(slide)
        gate_s = float("inf")
        for _ in range(repeats):
            started = time.perf_counter()
            quality = assess_quality(slide, plan.tissue, parameters)
            gate_s = min(gate_s, time.perf_counter() - started)
        started = time.perf_counter()
        result = engine.run(slide, plan=plan)
        analysis_s = time.perf_counter() - started
    return {
        "tissue_mm2": round(plan.tissue.area_mm2, 2),
        "tiles": len(plan.tiles),
        "quality_s": round(gate_s, 3),
        "analysis_s": round(analysis_s, 2),
        "ratio": round(gate_s / analysis_s, 4),
        "evaluable_fraction": round(quality.evaluable_fraction, 3),
        "findings": quality.findings(),
        "score": round(result.score, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--width-mm", type=float, default=2.0)
    parser.add_argument("--height-mm", type=float, default=1.5)
    parser.add_argument("--seed", type=int, default=101, help="held out: training used 1-16")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--focus-spacing-um", type=float, default=QualityParameters().focus_spacing_um
    )
    args = parser.parse_args()
    parameters = QualityParameters(focus_spacing_um=args.focus_spacing_um)
    with tempfile.TemporaryDirectory() as scratch:
        request = SyntheticSlideRequest(
            kind="malignant",
            seed=args.seed,
            width_um=args.width_mm * 1000,
            height_um=args.height_mm * 1000,
        )
        written = write_synthetic_slide(Path(scratch), request)
        results: dict[str, object] = {
            "slide_px": [written.width, written.height],
            "cpus": os.cpu_count(),
            "focus_spacing_um": args.focus_spacing_um,
            **measure(Path(scratch), args.repeats, parameters),
        }
    print(json.dumps(results))


if __name__ == "__main__":
    main()
