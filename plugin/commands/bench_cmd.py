"""`pathsentry bench`: the engine against the bare model, on a slide read from DICOM files."""

import dataclasses
import json
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from config import Settings
from dicom.slide import WholeSlideImage
from inference.benchmark import BenchPlan, BenchResult, default_threads, run_benchmark
from inference.devices import resolve_devices
from inference.engine import EngineOptions
from inference.model import LoadedModel, ModelConfig, build_model, load_model, resolve_weights
from plugin.analysis.allocator import keep_freed_memory
from plugin.tools.synthetic_slide import SyntheticSlideRequest, write_synthetic_slide

RESULTS = Path("bench/results")
# A held-out synthetic slide (training used seeds 1-16) when no --slide is given.
SYNTHETIC_SEED = 101


class BenchModel(StrEnum):
    """The models the bench runs: the configured (or bundled demo) weights, or the paper's."""

    demo = "demo"
    resnet50_os8 = "resnet50-os8"


def bench(
    ctx: typer.Context,
    slide: Annotated[
        Path | None,
        typer.Option(help="Folder of a slide's DICOM files; default: a synthetic one, made now."),
    ] = None,
    model: Annotated[
        BenchModel,
        typer.Option(help="demo (inference.weights or the bundled model) or resnet50-os8."),
    ] = BenchModel.demo,
    device: Annotated[
        str, typer.Option(help="auto (the first GPU, else the CPU), cpu, cuda or cuda:N.")
    ] = "auto",
    batch_size: Annotated[
        int | None, typer.Option(help="Tiles per batch; default: inference.batch_size.", min=1)
    ] = None,
    repeats: Annotated[
        int, typer.Option(help="Timed pairs (model, engine); the median counts.", min=1)
    ] = 3,
    stream: Annotated[
        int,
        typer.Option(
            help="Slides in the throughput stream (inference.slides_in_flight at once); 0: none.",
            min=0,
        ),
    ] = 3,
    width_mm: Annotated[float, typer.Option(help="Synthetic slide's width.", min=0.2)] = 2.0,
    height_mm: Annotated[float, typer.Option(help="Synthetic slide's height.", min=0.2)] = 1.5,
    forty_x_only: Annotated[
        bool, typer.Option(help="Synthetic slide without its 20x level (as many scanners send).")
    ] = False,
    out: Annotated[
        Path, typer.Option(help="Folder for DEVICE-MODEL.json (named after device and model).")
    ] = RESULTS,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Measure engine efficiency, reading Mpx/s per core and the CPU cores one H100 needs.

    Tiles, reader threads and precision are the `inference` settings (production's); the
    slide is read from its DICOM files, JPEG decoding included.
    """
    settings: Settings = ctx.obj
    first = resolve_devices(device)[0]
    if first.type == "cpu":
        keep_freed_memory()  # as `serve` and `worker` do on a CPU, before any thread starts
    batch = {"batch_size": batch_size} if batch_size else {}
    options = EngineOptions.from_settings(settings.inference, device=str(first), **batch)
    loaded = _model(model, settings.inference.weights)
    threads = default_threads(options)
    in_flight = settings.inference.slides_in_flight
    plan = BenchPlan(loaded, options, repeats, threads, stream, in_flight)
    console = Console(stderr=True)
    with tempfile.TemporaryDirectory(prefix="pathsentry-bench-") as scratch:
        folder = slide or _synthetic(Path(scratch), width_mm, height_mm, forty_x_only, console)
        with WholeSlideImage.open(folder) as opened, console.status(f"benchmarking on {first} ..."):
            name = _describe(slide, width_mm, height_mm, forty_x_only)
            result = run_benchmark(plan, opened, name)
    figures = dataclasses.asdict(result)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{result.device_slug}-{model.value}.json"
    path.write_text(json.dumps(figures, indent=2) + "\n")
    if as_json:
        typer.echo(json.dumps({**figures, "path": str(path)}))
    else:
        _show(result, path)


def _model(model: BenchModel, weights: Path | None) -> LoadedModel:
    if model is BenchModel.demo:
        return load_model(resolve_weights(weights))
    config = ModelConfig()  # DeepLab v3 ResNet-50, output stride 8: the paper's
    return LoadedModel(build_model(config), config, None)


def _synthetic(
    scratch: Path, width_mm: float, height_mm: float, forty_x_only: bool, console: Console
) -> Path:
    request = SyntheticSlideRequest(
        kind="malignant", seed=SYNTHETIC_SEED, width_um=width_mm * 1000, height_um=height_mm * 1000
    )
    with console.status(f"writing a {width_mm} x {height_mm} mm synthetic slide ..."):
        written = write_synthetic_slide(scratch / "slide", request)
    if forty_x_only:
        written.levels[1].unlink()
    return written.folder


def _describe(slide: Path | None, width_mm: float, height_mm: float, forty_x_only: bool) -> str:
    if slide is not None:
        return f"DICOM files in {slide.name}"
    only = ", 40x only" if forty_x_only else ""
    return f"synthetic {width_mm} x {height_mm} mm slide, DICOM files (JPEG{only})"


def _show(result: BenchResult, path: Path) -> None:
    console = Console()
    console.print(f"[bold]{result.device}[/], {result.model}, {result.precision}")
    console.print(f"  {result.source}")
    console.print(
        f"  {result.tiles} tiles of {result.tile_size} px, {result.tissue_megapixels:.1f} MP tissue"
    )
    console.print(f"  engine     {result.tissue_megapixels_per_s:10.1f} tissue MP/s")
    console.print(f"  engine     {result.engine_tflops:10.2f} TFLOP/s")
    console.print(f"  bare model {result.model_tflops:10.2f} TFLOP/s")
    pairs = ", ".join(f"{value:.3f}" for value in result.efficiencies)
    console.print(f"  efficiency {result.efficiency:10.3f} (median of {pairs})")
    console.print(f"  fed        {result.fed_fraction:10.3f} (starved {result.starved_s:.2f} s)")
    console.print(f"  fed model  {result.fed_slowdown:10.3f} x the bare model's time")
    console.print(f"  turn       {result.turn_efficiency:10.3f} (preparation left out)")
    if result.stream_efficiency is not None:
        console.print(
            f"  stream     {result.stream_efficiency:10.3f} ({result.stream_slides} slides, "
            f"{result.slides_in_flight} in flight)"
        )
    load = ", ".join(f"{value:.1f}" for value in (*result.load_before, *result.load_after))
    console.print(f"  load       {load} (1, 5, 15 min before; after)")
    if result.fraction_of_peak is not None:
        console.print(f"  of peak    {result.fraction_of_peak:10.1%}")
    console.print(
        f"  reading    {result.reading_megapixels_per_core_s:10.1f} input MP/s per core: "
        f"{result.cores_per_h100:.1f} cores feed one H100"
    )
    console.print(
        f"  {result.seconds_per_gigapixel:.1f} s per 10^9 tissue pixels; written to {path}"
    )
