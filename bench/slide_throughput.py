"""Slides back to back on one device: one job at a time, against `inference.slides_in_flight`
jobs that take turns on the device (the next slide opened and its tissue found, the last one's
SEG, SR and pictures written, while the device runs). Prints slides per second of each, side
by side, and the ratio (JSON).

The slides are small synthetic DICOM slides; the model is a small untrained DeepLab v3
(`--depth`, `--width`), run through the real pipeline (SlidePipeline: open, tissue, engine,
outputs) on the CPU or `--device cuda`. Each setting runs every round, alternately, so that
the machine's drift touches both alike.

Usage: PYTHONPATH=. python bench/slide_throughput.py [--slides 6] [--rounds 2] [--in-flight 2]
       [--device cpu] [--tile 512]
"""

import argparse
import json
import tempfile
from pathlib import Path

import torch
from pydicom import dcmread

from config import InferenceSettings, Settings, StorageSettings
from db.models import ImageType
from inference.model import ModelConfig, build_model, save_weights
from inference.slide_stream import time_jobs
from plugin.analysis.allocator import keep_freed_memory
from plugin.analysis.contract import JobContext, SlideFiles, StoredInstance
from plugin.analysis.pipeline import SlidePipeline
from plugin.tools.synthetic_slide import SyntheticSlideRequest, write_synthetic_slide


def make_slides(folder: Path, count: int) -> list[Path]:
    """`count` small synthetic slides (about 2900 x 2300 px at 40x), as DICOM files."""
    slides = []
    for seed in range(count):
        out = folder / f"slide-{seed}"
        kind = "malignant" if seed % 2 else "benign"
        request = SyntheticSlideRequest(
            kind=kind, seed=seed + 1, width_um=700, height_um=550, tile_size=256, case="BENCH"
        )
        write_synthetic_slide(out, request)
        slides.append(out)
    return slides


def context(folder: Path, job_id: int, device: str) -> JobContext:
    files = sorted(folder.glob("*.dcm"))
    headers = [dcmread(path, stop_before_pixels=True) for path in files]
    instances = tuple(
        StoredInstance(str(h.SOPInstanceUID), ImageType.VOLUME, path)
        for h, path in zip(headers, files, strict=True)
    )
    series = str(headers[0].SeriesInstanceUID)
    slide = SlideFiles(job_id, str(headers[0].StudyInstanceUID), series, folder, instances)
    return JobContext(job_id, 1, f"bench-{job_id}", device, slide, lambda _f, _s: None)


def run(pipeline: SlidePipeline, contexts: list[JobContext], in_flight: int) -> float:
    """Seconds for every slide, with `in_flight` workers taking jobs (as WorkerPool does)."""
    return time_jobs(contexts, in_flight, pipeline)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slides", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--in-flight", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--tile", type=int, default=512)
    parser.add_argument("--depth", type=int, default=18)
    parser.add_argument("--width", type=int, default=16)
    args = parser.parse_args()
    if args.device == "cpu":
        keep_freed_memory()  # as `serve` does on a CPU
    with tempfile.TemporaryDirectory(prefix="pathsentry-bench-") as scratch:
        folder = Path(scratch)
        torch.manual_seed(0)
        config = ModelConfig.for_stride(
            8, name="bench", version="1", depth=args.depth, width=args.width, aspp_channels=32
        )
        weights = folder / "model.safetensors"
        save_weights(build_model(config).eval(), config, weights)
        inference = InferenceSettings(
            weights=weights,
            device=args.device,
            tile_size=args.tile,
            tile_keep=args.tile - 64,
            batch_size=2,
            top_k=200,
        )
        settings = Settings(storage=StorageSettings(data_dir=folder / "data"), inference=inference)
        slides = make_slides(folder, args.slides)
        pipeline = SlidePipeline(settings)
        contexts = [context(path, index + 1, args.device) for index, path in enumerate(slides)]
        pipeline(contexts[0])  # load and warm the model, fill the caches of the first slide
        seconds: dict[int, list[float]] = {1: [], args.in_flight: []}
        for _ in range(args.rounds):
            for in_flight in seconds:
                seconds[in_flight].append(run(pipeline, contexts, in_flight))
    best = {n: min(values) for n, values in seconds.items()}
    print(
        json.dumps(
            {
                "slides": args.slides,
                "device": args.device,
                "tile": args.tile,
                "seconds": seconds,
                "slides_per_s_one_at_a_time": round(args.slides / best[1], 3),
                f"slides_per_s_{args.in_flight}_in_flight": round(
                    args.slides / best[args.in_flight], 3
                ),
                "ratio": round(best[1] / best[args.in_flight], 3),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
