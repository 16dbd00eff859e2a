"""`pathsentry bench`: the engine against the bare model on this machine's device."""

import dataclasses
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from inference.benchmark import BenchResult, default_plan, run_benchmark
from inference.devices import resolve_devices
from plugin.allocator import keep_freed_memory

RESULTS = Path("bench/results")


def bench(
    device: Annotated[
        str, typer.Option(help="auto (the first GPU, else the CPU), cpu, cuda or cuda:N.")
    ] = "auto",
    batch_size: Annotated[int | None, typer.Option(help="Tiles per batch.", min=1)] = None,
    repeats: Annotated[int | None, typer.Option(help="Timed runs; the best counts.", min=1)] = None,
    scale: Annotated[
        float, typer.Option(help="Slide side relative to the default (smaller: quicker).", min=0.05)
    ] = 1.0,
    out: Annotated[
        Path, typer.Option(help="Folder for DEVICE.json (named after the device).")
    ] = RESULTS,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Measure tissue megapixels/s, TFLOP/s and engine efficiency; write bench/results/."""
    keep_freed_memory()
    first = resolve_devices(device)[0]
    plan = default_plan(first, batch_size)
    plan = dataclasses.replace(
        plan,
        slide_width=max(64, round(plan.slide_width * scale)),
        slide_height=max(64, round(plan.slide_height * scale)),
        repeats=repeats or plan.repeats,
    )
    console = Console(stderr=True)
    with console.status(f"benchmarking on {first} ..."):
        result = run_benchmark(plan)
    figures = dataclasses.asdict(result)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{result.device_slug}.json"
    path.write_text(json.dumps(figures, indent=2) + "\n")
    if as_json:
        typer.echo(json.dumps({**figures, "path": str(path)}))
    else:
        _show(result, path)


def _show(result: BenchResult, path: Path) -> None:
    console = Console()
    console.print(f"[bold]{result.device}[/], {result.model}, {result.precision}")
    console.print(
        f"  {result.tiles} tiles of {result.tile_size} px, {result.tissue_megapixels:.1f} MP tissue"
    )
    console.print(f"  engine     {result.tissue_megapixels_per_s:10.1f} tissue MP/s")
    console.print(f"  engine     {result.engine_tflops:10.2f} TFLOP/s")
    console.print(f"  bare model {result.model_tflops:10.2f} TFLOP/s")
    console.print(f"  efficiency {result.efficiency:10.3f}")
    if result.fraction_of_peak is not None:
        console.print(f"  of peak    {result.fraction_of_peak:10.1%}")
    console.print(
        f"  {result.seconds_per_gigapixel:.1f} s per 10^9 tissue pixels; written to {path}"
    )
