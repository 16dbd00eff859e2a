"""Engine against bare model, side by side on one device: throughput, TFLOP/s, efficiency.

The slide is made in memory (glass with an ellipse of textured tissue), so the figures
measure tiling, transfer, the model and stitching, not a codec. On CUDA the model is the
paper's (DeepLab v3 ResNet-50, output stride 8, bfloat16, 2200/2000 tiles); on the CPU a
small one, so that the benchmark ends in a minute or two.
"""

import math
import os
import platform
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from inference.devices import device_name, precision_name
from inference.engine import Engine, EngineOptions
from inference.memory_source import ArraySource
from inference.model import LoadedModel, ModelConfig, build_model, forward_flops
from inference.results import SlideInference

# Dense bfloat16/float16 tensor-core peaks (TFLOP/s) from the vendors' data sheets.
PEAK_TFLOPS = {
    "H100 80GB HBM3": 989.4,
    "H100 SXM": 989.4,
    "H100 NVL": 835.0,
    "H100 PCIe": 756.0,
    "H200": 989.4,
    "A100": 312.0,
    "L40S": 362.0,
}
_ROWS = 1024


@dataclass(frozen=True)
class BenchPlan:
    """What is measured: the model, how the engine runs it, the slide's size, repetitions."""

    model: ModelConfig
    options: EngineOptions
    slide_width: int
    slide_height: int
    repeats: int = 3
    intra_op_threads: int | None = None


@dataclass(frozen=True)
class BenchResult:
    """Figures of one benchmark (JSON-ready)."""

    device: str
    device_slug: str
    precision: str
    model: str
    output_stride: int
    tile_size: int
    tile_keep: int
    batch_size: int
    reader_threads: int
    intra_op_threads: int
    slide_megapixels: float
    tissue_megapixels: float
    tiles: int
    gflop_per_tile: float
    engine_seconds: float
    model_seconds: float
    engine_tiles_per_s: float
    model_tiles_per_s: float
    efficiency: float
    tissue_megapixels_per_s: float
    seconds_per_gigapixel: float
    engine_tflops: float
    model_tflops: float
    peak_tflops: float | None
    fraction_of_peak: float | None
    starved_s: float
    torch_version: str
    source: str = "in-memory synthetic slide (no decoding)"


def default_plan(device: torch.device, batch_size: int | None = None) -> BenchPlan:
    """The paper's model and tiles on CUDA; a small model and tiles on the CPU."""
    if device.type == "cuda":
        options = EngineOptions(
            batch_size=batch_size or 4,
            device=str(device),
            precision="bfloat16",
            reader_threads=8,
        )
        return BenchPlan(ModelConfig(), options, 24000, 20000, repeats=2)
    model = ModelConfig.for_stride(8, depth=18, width=16, aspp_channels=64, name="bench-small")
    options = EngineOptions(
        tile_size=512,
        tile_keep=448,
        batch_size=batch_size or 4,
        device="cpu",
        precision="float32",
        reader_threads=1,
    )
    # One core reads while the others compute; on a CPU, reading overlaps the model only
    # if the model leaves it a core (OpenMP regions stall whenever a thread is preempted).
    threads = max(1, (os.cpu_count() or 2) - options.reader_threads)
    return BenchPlan(model, options, 4480, 3584, repeats=5, intra_op_threads=threads)


def run_benchmark(plan: BenchPlan) -> BenchResult:
    """Time the engine on the slide and the bare model on as many tiles, alternately."""
    before = torch.get_num_threads()
    if plan.intra_op_threads is not None:
        torch.set_num_threads(plan.intra_op_threads)
    try:
        return _measure(plan)
    finally:
        torch.set_num_threads(before)


def _measure(plan: BenchPlan) -> BenchResult:
    torch.manual_seed(0)
    engine = Engine(LoadedModel(build_model(plan.model), plan.model), plan.options)
    source = ArraySource.pyramid(
        bench_image(plan.slide_height, plan.slide_width), plan.model.analysis_spacing_um, 8
    )
    engine.warm_up()
    result = engine.run(source)  # warm: allocator, pinned memory, thread start-up
    tiles = result.statistics.tiles
    engine_times, model_times = [], []
    for _ in range(plan.repeats):
        model_times.append(_time_model(engine, tiles))
        started = time.perf_counter()
        result = engine.run(source)
        engine_times.append(time.perf_counter() - started)
    return _figures(plan, engine, result, min(engine_times), min(model_times))


def bench_image(height: int, width: int, seed: int = 0) -> np.ndarray:
    """White glass with an ellipse of blotchy H&E-coloured tissue, built a band at a time."""
    rng = np.random.default_rng(seed)
    cell = 16
    coarse = rng.random((height // cell + 1, width // cell + 1, 3), dtype=np.float32)
    image = np.empty((height, width, 3), dtype=np.uint8)
    cols = (np.arange(width) - width / 2) / (width * 0.45)
    for top in range(0, height, _ROWS):
        rows = np.arange(top, min(top + _ROWS, height))
        texture = coarse[rows // cell][:, np.arange(width) // cell]
        band = np.array([150, 70, 140], dtype=np.float32) + 70 * texture
        inside = ((rows - height / 2) / (height * 0.45))[:, None] ** 2 + cols[None, :] ** 2 < 1
        image[rows[0] : rows[-1] + 1] = np.where(inside[..., None], band, 236).astype(np.uint8)
    return image


def device_slug(device: torch.device) -> str:
    """A file name for the device: the GPU's model, or the CPU's."""
    cuda = device.type == "cuda"
    name = torch.cuda.get_device_name(device) if cuda else f"cpu-{_cpu_model()}"
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _time_model(engine: Engine, tiles: int) -> float:
    """Seconds of the bare forward passes for `tiles` tiles, in the engine's batches."""
    replica = engine.replicas[0]
    batch = engine.options.batch_size
    inputs = replica.sample_input(batch, engine.layout.size)
    with torch.inference_mode():
        replica.forward(inputs)
        _synchronise(replica.device)
        started = time.perf_counter()
        for _ in range(math.ceil(tiles / batch)):
            replica.forward(inputs)
        _synchronise(replica.device)
    return time.perf_counter() - started


def _figures(
    plan: BenchPlan, engine: Engine, result: SlideInference, engine_s: float, model_s: float
) -> BenchResult:
    statistics = result.statistics
    tiles = statistics.tiles
    batches = math.ceil(tiles / plan.options.batch_size)
    flops = forward_flops(engine.model.module, plan.options.tile_size)
    device = engine.devices[0]
    # The bare model runs whole batches; so does the engine (its last batch is padded).
    engine_tflops = flops * batches * plan.options.batch_size / engine_s / 1e12
    peak = _peak(device)
    tissue_mp = statistics.tissue_pixels / 1e6
    return BenchResult(
        device=device_name(device),
        device_slug=device_slug(device),
        precision=precision_name(engine.precision),
        model=f"deeplabv3-resnet{plan.model.depth} width {plan.model.width}",
        output_stride=plan.model.output_stride,
        tile_size=plan.options.tile_size,
        tile_keep=plan.options.tile_keep,
        batch_size=plan.options.batch_size,
        reader_threads=plan.options.reader_threads,
        intra_op_threads=torch.get_num_threads(),
        slide_megapixels=plan.slide_width * plan.slide_height / 1e6,
        tissue_megapixels=tissue_mp,
        tiles=tiles,
        gflop_per_tile=flops / 1e9,
        engine_seconds=engine_s,
        model_seconds=model_s,
        engine_tiles_per_s=tiles / engine_s,
        model_tiles_per_s=tiles / model_s,
        efficiency=model_s / engine_s,
        tissue_megapixels_per_s=tissue_mp / engine_s,
        seconds_per_gigapixel=engine_s / tissue_mp * 1000,
        engine_tflops=engine_tflops,
        model_tflops=flops * batches * plan.options.batch_size / model_s / 1e12,
        peak_tflops=peak,
        fraction_of_peak=engine_tflops / peak if peak else None,
        starved_s=statistics.timings.starved_s,
        torch_version=torch.__version__,
    )


def _peak(device: torch.device) -> float | None:
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    return next((peak for key, peak in PEAK_TFLOPS.items() if key in name), None)


def _synchronise(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
