"""Engine against bare model, side by side on one device, on a slide read from its files.

The engine reads the slide it is given (the command opens one from DICOM files, so the
figures include reading and JPEG decoding); the bare model runs the same batches on random
tiles. Reading is also measured alone, in CPU seconds, which gives the CPU cores needed to
feed one GPU at the DESIGN's target (about 144 input megapixels per second for DeepLab v3
ResNet-50 at output stride 8 on an H100 at 45 % of its bfloat16 peak).
"""

import dataclasses
import math
import os
import platform
import re
import time
from dataclasses import dataclass
from pathlib import Path
from statistics import median_low

import torch

from inference.batches import BatchProducer, ReadPlan
from inference.devices import device_name, precision_name
from inference.engine import Engine, EngineOptions
from inference.model import LoadedModel, forward_flops
from inference.reading import announce_reads
from inference.results import SlideInference, StageTimings
from inference.slide_stream import time_stream
from inference.source import RegionSource

# Dense bfloat16/float16 tensor-core peaks (TFLOP/s) from the vendors' data sheets (half the
# "with sparsity" figures), keyed by what torch.cuda.get_device_name reports. Most specific
# first: "NVIDIA H200 NVL" must not match "H200" (SXM), and an H100 SXM reports itself as
# "NVIDIA H100 80GB HBM3" (or "H100 SXM5 ...").
PEAK_TFLOPS: tuple[tuple[str, float], ...] = (
    ("H200 NVL", 835.5),
    ("H200", 989.5),
    ("H100 NVL", 835.5),
    ("H100 PCIe", 756.5),
    ("H100 80GB HBM3", 989.5),
    ("H100 SXM", 989.5),
    ("A100", 312.0),
    ("L40S", 362.1),
)
# Input megapixels per second one H100 consumes running ResNet-50 OS8 at the target (DESIGN).
H100_INPUT_MEGAPIXELS_PER_S = 144.0


@dataclass(frozen=True)
class BenchPlan:
    """What is measured: the model, how the engine runs it, repetitions, CPU threads, and the
    stream of slides run as the service runs them (none when `stream_slides` is 0)."""

    model: LoadedModel
    options: EngineOptions
    repeats: int = 3
    intra_op_threads: int | None = None
    stream_slides: int = 0
    slides_in_flight: int = 2


@dataclass(frozen=True)
class ReadingFigures:
    """Reading and decoding alone: every tile of the plan into batches, no model."""

    tiles: int
    input_megapixels: float
    wall_s: float
    cpu_s: float
    megapixels_per_core_s: float
    tiles_per_core_s: float
    cores_per_h100: float


@dataclass(frozen=True)
class TimedPair:
    """The bare model, then the engine, on the same tiles, timed back to back."""

    engine_s: float
    model_s: float
    timings: StageTimings  # the engine run's stages

    @property
    def efficiency(self) -> float:
        return self.model_s / self.engine_s

    @property
    def turn_efficiency(self) -> float:
        """The bare model over the engine's time after its preparation."""
        prepared = self.timings.planning_s + self.timings.tissue_s + self.timings.quality_s
        return self.model_s / (self.engine_s - prepared)


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
    source: str
    decode_reduction: int
    resampled: bool
    tissue_megapixels: float
    tiles: int
    forwarded_tiles: int  # tiles through the model: the last batch is padded only if it pays
    gflop_per_tile: float
    engine_seconds: float
    model_seconds: float
    engine_tiles_per_s: float
    model_tiles_per_s: float
    # Bare model / engine seconds of the median pair (the lower middle one for an even count;
    # each pair is timed back to back: on shared cores, a ratio of two runs minutes apart
    # measures the neighbours' load as much as the engine). Every pair's in `efficiencies`;
    # the times below (engine, model, stages) are the median pair's.
    efficiency: float
    efficiencies: tuple[float, ...]
    tissue_megapixels_per_s: float
    seconds_per_gigapixel: float
    engine_tflops: float
    model_tflops: float
    peak_tflops: float | None
    fraction_of_peak: float | None
    reading_s: float
    starved_s: float
    # 1 - starved / engine seconds: the share of the run the model was not waiting for tiles.
    fed_fraction: float
    # The model's inference stage while fed (its starved time left out) / the bare model: above
    # 1 by what the readers' competition for the cores (and the per-batch merging) cost it.
    fed_slowdown: float
    # The median pair's bare model / the engine's time less its preparation (planning, tissue,
    # quality gate): the device's share, as the pipeline holds the device (it prepares a slide
    # before taking its turn, so the next slide's preparation overlaps this one's run).
    turn_efficiency: float
    turn_efficiencies: tuple[float, ...]
    # The service's slide throughput over the bare model's: `stream_slides` analyses of the
    # slide, `slides_in_flight` at once (each prepared freely, run in turns on the device), from
    # the first preparation to the last result, against the bare model on as many tiles, in
    # `repeats` back-to-back pairs; the median pair's, every pair's in `stream_efficiencies`.
    # None when no stream was run.
    stream_slides: int
    slides_in_flight: int
    stream_efficiency: float | None
    stream_efficiencies: tuple[float, ...]
    # os.getloadavg() (1, 5, 15 minutes) before and after the timed pairs: how busy the
    # cores were with others' work.
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    reading_megapixels_per_core_s: float
    reading_tiles_per_core_s: float
    cores_per_h100: float
    torch_version: str
    stage_seconds: dict[str, float]  # of the last timed engine run: planning, tissue, ...
    peak_memory_gib: float | None  # the device's allocator peak over the benchmark; None: CPU
    gpus: tuple[str, ...]  # every CUDA device visible, with its model


def default_threads(options: EngineOptions) -> int | None:
    """Torch's threads on a CPU: one core is left to the readers (None on CUDA)."""
    if options.device.startswith("cuda"):
        return None
    # On a CPU, reading overlaps the model only if the model leaves it a core (OpenMP
    # regions stall whenever one of their threads is preempted).
    return max(1, (os.cpu_count() or 2) - 1)


def run_benchmark(plan: BenchPlan, source: RegionSource, source_name: str) -> BenchResult:
    """Time the engine on the slide and the bare model on as many tiles, alternately."""
    before = torch.get_num_threads()
    if plan.intra_op_threads is not None:
        torch.set_num_threads(plan.intra_op_threads)
    try:
        return _measure(plan, source, source_name)
    finally:
        torch.set_num_threads(before)


def measure_reading(
    engine: Engine, source: RegionSource, plan: ReadPlan | None = None
) -> ReadingFigures:
    """Read every tile the engine would read (its `plan`, made now when not given: tissue and
    quality gate included), with its reader threads, and no model."""
    plan = engine.reading_plan(source) if plan is None else plan
    threads = engine.options.reader_threads
    announce_reads(source, plan.grid, plan.layout, plan.tiles)
    cpu, wall = time.process_time(), time.perf_counter()
    try:
        with BatchProducer(
            plan, threads, math.ceil(threads / plan.batch_size) + 1, False
        ) as reader:
            while reader.get() is not None:
                pass
    finally:
        announce_reads(source, plan.grid, plan.layout, [])
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    megapixels = len(plan.tiles) * plan.layout.size**2 / 1e6
    per_core = megapixels / cpu if cpu > 0 else math.inf
    return ReadingFigures(
        tiles=len(plan.tiles),
        input_megapixels=megapixels,
        wall_s=wall,
        cpu_s=cpu,
        megapixels_per_core_s=per_core,
        tiles_per_core_s=len(plan.tiles) / cpu if cpu > 0 else math.inf,
        cores_per_h100=H100_INPUT_MEGAPIXELS_PER_S / per_core,
    )


def _measure(plan: BenchPlan, source: RegionSource, source_name: str) -> BenchResult:
    torch.manual_seed(0)
    engine = Engine(plan.model, plan.options)
    if engine.devices[0].type == "cuda":
        torch.cuda.reset_peak_memory_stats(engine.devices[0])
    engine.warm_up()
    reading = measure_reading(engine, source)  # also warms the files' pages
    result = engine.run(source)  # warm: allocator, pinned memory, thread start-up
    pairs = []
    load_before = os.getloadavg()
    for repeat in range(plan.repeats):
        # Model first, then engine, and the other way round in the next pair: a load that
        # rises or falls during the run favours neither.
        model_first = repeat % 2 == 0
        model_s = time_model(engine, result.statistics.tiles) if model_first else 0.0
        started = time.perf_counter()
        result = engine.run(source)
        engine_s = time.perf_counter() - started
        if not model_first:
            model_s = time_model(engine, result.statistics.tiles)
        pairs.append(TimedPair(engine_s, model_s, result.statistics.timings))
    tiles = result.statistics.tiles
    streams = tuple(
        _stream_efficiency(engine, source, plan, tiles, model_first=repeat % 2 == 0)
        for repeat in range(plan.repeats if plan.stream_slides else 0)
    )
    loads = (load_before, os.getloadavg())
    return _figures(plan, engine, result, (pairs, streams), reading, source_name, loads)


def _stream_efficiency(
    engine: Engine, source: RegionSource, plan: BenchPlan, tiles: int, model_first: bool
) -> float:
    """The bare model on the stream's tiles over the stream, timed back to back."""
    slides = plan.stream_slides

    def model_s() -> float:
        return sum(time_model(engine, tiles) for _ in range(slides))

    bare_s = model_s() if model_first else 0.0
    stream_s = time_stream(engine, source, slides, plan.slides_in_flight)
    if not model_first:
        bare_s = model_s()
    return bare_s / stream_s


def device_slug(device: torch.device) -> str:
    """A file name for the device: the GPU's model, or the CPU's."""
    cuda = device.type == "cuda"
    name = torch.cuda.get_device_name(device) if cuda else f"cpu-{_cpu_model()}"
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _batch_sizes(engine: Engine, tiles: int) -> list[int]:
    """The batches the engine runs for `tiles` tiles (the last one padded only if it pads)."""
    batch = engine.options.batch_size
    sizes = [batch] * (tiles // batch)
    if tiles % batch:
        sizes.append(batch if engine.fixed_shapes else tiles % batch)
    return sizes


def time_model(engine: Engine, tiles: int) -> float:
    """Seconds of the bare forward passes for `tiles` tiles, in the engine's batches."""
    replica = engine.replicas[0]
    sizes = _batch_sizes(engine, tiles)
    with torch.inference_mode():
        # Made in inference mode like the engine's tiles: a compiled model sees one kind.
        inputs = {size: replica.sample_input(size, engine.layout.size) for size in set(sizes)}
        for size in inputs:
            replica.forward(inputs[size])
        _synchronise(replica.device)
        started = time.perf_counter()
        for size in sizes:
            replica.forward(inputs[size])
        _synchronise(replica.device)
    return time.perf_counter() - started


def _figures(
    plan: BenchPlan,
    engine: Engine,
    result: SlideInference,
    timed: tuple[list[TimedPair], tuple[float, ...]],
    reading: ReadingFigures,
    source_name: str,
    loads: tuple[tuple[float, float, float], tuple[float, float, float]],
) -> BenchResult:
    """The figures of the median pair (and of the median stream pair)."""
    pairs, streams = timed
    efficiencies = tuple(pair.efficiency for pair in pairs)
    turns = tuple(pair.turn_efficiency for pair in pairs)
    median = pairs[efficiencies.index(median_low(efficiencies))]
    engine_s, model_s, timings = median.engine_s, median.model_s, median.timings
    statistics = result.statistics
    tiles = statistics.tiles
    forwarded = sum(_batch_sizes(engine, tiles))
    options, config = plan.options, plan.model.config
    flops = forward_flops(engine.model.module, options.tile_size)
    device = engine.devices[0]
    engine_tflops = flops * forwarded / engine_s / 1e12
    peak = _peak(device)
    tissue_mp = statistics.tissue_pixels / 1e6
    return BenchResult(
        device=device_name(device),
        device_slug=device_slug(device),
        precision=precision_name(engine.precision),
        model=f"{config.name}: deeplabv3-resnet{config.depth} width {config.width}",
        output_stride=config.output_stride,
        tile_size=options.tile_size,
        tile_keep=options.tile_keep,
        batch_size=options.batch_size,
        reader_threads=options.reader_threads,
        intra_op_threads=torch.get_num_threads(),
        source=source_name,
        decode_reduction=statistics.decode_reduction,
        resampled=statistics.resampled,
        tissue_megapixels=tissue_mp,
        tiles=tiles,
        forwarded_tiles=forwarded,
        gflop_per_tile=flops / 1e9,
        engine_seconds=engine_s,
        model_seconds=model_s,
        engine_tiles_per_s=tiles / engine_s,
        model_tiles_per_s=tiles / model_s,
        efficiency=model_s / engine_s,
        efficiencies=efficiencies,
        tissue_megapixels_per_s=tissue_mp / engine_s,
        seconds_per_gigapixel=engine_s / tissue_mp * 1000,
        engine_tflops=engine_tflops,
        model_tflops=flops * forwarded / model_s / 1e12,
        peak_tflops=peak,
        fraction_of_peak=engine_tflops / peak if peak else None,
        reading_s=timings.reading_s,
        starved_s=timings.starved_s,
        fed_fraction=1 - timings.starved_s / engine_s,
        fed_slowdown=(timings.inference_s - timings.starved_s) / model_s,
        turn_efficiency=median_low(turns),
        turn_efficiencies=turns,
        stream_slides=plan.stream_slides,
        slides_in_flight=plan.slides_in_flight,
        stream_efficiency=median_low(streams) if streams else None,
        stream_efficiencies=streams,
        load_before=loads[0],
        load_after=loads[1],
        reading_megapixels_per_core_s=reading.megapixels_per_core_s,
        reading_tiles_per_core_s=reading.tiles_per_core_s,
        cores_per_h100=reading.cores_per_h100,
        torch_version=torch.__version__,
        stage_seconds=dataclasses.asdict(timings),
        peak_memory_gib=_peak_memory_gib(device),
        gpus=_gpus(),
    )


def _peak(device: torch.device) -> float | None:
    if device.type != "cuda":
        return None
    return peak_tflops(torch.cuda.get_device_name(device))


def peak_tflops(device_name: str) -> float | None:
    """The dense half-precision peak of a GPU by its reported name, or None when unknown."""
    return next((peak for key, peak in PEAK_TFLOPS if key in device_name), None)


def _peak_memory_gib(device: torch.device) -> float | None:
    if device.type != "cuda":
        return None
    return torch.cuda.max_memory_allocated(device) / 2**30


def _gpus() -> tuple[str, ...]:
    if not torch.cuda.is_available():
        return ()
    count = torch.cuda.device_count()
    return tuple(device_name(torch.device("cuda", index)) for index in range(count))


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
