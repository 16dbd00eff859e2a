"""Benchmark: the bare model alone against the bare model while tiles are decoded beside it.

On a CPU the model and the JPEG decoding of its tiles share the machine (caches, memory
bandwidth, the cores the scheduler hands out), so the engine's model runs slower than the
bare one even when it never waits for a tile (`fed_slowdown` in `pathsentry bench`). This
measures that share alone: the same batches of the demo model, alternately with nothing else
running and with the engine's reader threads decoding the slide's tiles over and over. On a
GPU the model runs on the device and the ratio should stay near 1.

Usage: PYTHONPATH=. python bench/model_contention.py --slide FOLDER [--rounds 3] [--device cpu]
       (FOLDER: a slide's DICOM files, e.g. one written by `pathsentry synth`)
"""

import argparse
import json
import os
import statistics
import threading
from pathlib import Path

import torch

from config import Settings
from dicom.slide import WholeSlideImage
from inference.benchmark import default_threads, measure_reading, time_model
from inference.engine import Engine, EngineOptions
from inference.model import load_model, resolve_weights
from plugin.analysis.allocator import keep_freed_memory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slide", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    if args.device == "cpu":
        keep_freed_memory()
    settings = Settings()
    options = EngineOptions.from_settings(settings.inference, device=args.device)
    threads = default_threads(options)
    if threads is not None:
        torch.set_num_threads(threads)
    engine = Engine(load_model(resolve_weights(settings.inference.weights)), options)
    engine.warm_up()
    alone: list[float] = []
    beside: list[float] = []
    with WholeSlideImage.open(args.slide) as slide:
        tiles = engine.run(slide).statistics.tiles
        for _ in range(args.rounds):
            alone.append(time_model(engine, tiles))
            beside.append(_beside_readers(engine, slide, tiles))
    ratios = [b / a for a, b in zip(alone, beside, strict=True)]
    figures = {
        "device": args.device,
        "tiles": tiles,
        "reader_threads": options.reader_threads,
        "torch_threads": torch.get_num_threads(),
        "alone_s": alone,
        "beside_readers_s": beside,
        "slowdown_median": statistics.median(ratios),
        "slowdowns": ratios,
        "load_after": os.getloadavg(),
    }
    print(json.dumps(figures, indent=2))


def _beside_readers(engine: Engine, slide: WholeSlideImage, tiles: int) -> float:
    """The bare model's seconds while the reader threads decode the slide's tiles."""
    stop = threading.Event()
    plan = engine.reading_plan(slide)  # tissue and gate once: only the decoding repeats

    def read() -> None:
        while not stop.is_set():
            measure_reading(engine, slide, plan)

    reader = threading.Thread(target=read, name="contention-readers")
    reader.start()
    try:
        return time_model(engine, tiles)
    finally:
        stop.set()
        reader.join()


if __name__ == "__main__":
    main()
