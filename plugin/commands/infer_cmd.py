"""`pathsentry infer`: analyse one slide from its files; write the map, the overlay, the score."""

import json
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from config import InferenceSettings, Settings
from dicom.slide import WholeSlideImage
from inference.engine import Engine
from inference.errors import NotEvaluableError
from inference.gate import warning
from inference.quality import QualityParameters
from inference.results import SlideInference
from plugin.analysis.allocator import keep_freed_memory
from plugin.analysis.overlay import render_overlay


def infer(
    ctx: typer.Context,
    slide_dir: Annotated[Path, typer.Argument(help="Folder holding the slide's DICOM WSM files.")],
    weights: Annotated[
        Path | None,
        typer.Option(help="Model weights (.safetensors or .pt); default: inference.weights."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Folder for the outputs; default: out/SLIDE (the slide folder's name)."),
    ] = None,
    device: Annotated[
        str | None, typer.Option(help="auto, cpu, cuda or cuda:N; default: inference.device.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Run the model over one slide: probability map (.npy and PNG overlay) and slide score."""
    settings: Settings = ctx.obj
    keep_freed_memory()
    inference = _with_overrides(settings.inference, weights=weights, device=device)
    folder = (out or Path("out") / slide_dir.resolve().name).resolve()
    engine = Engine.from_settings(
        inference, quality=QualityParameters.from_settings(settings.quality)
    )
    with WholeSlideImage.open(slide_dir) as slide:
        try:
            result = _run(engine, slide)
        except NotEvaluableError as error:
            summary: dict[str, Any] = {"slide": str(slide_dir), "evaluable": False}
            _report({**summary, "score": None, "reason": str(error)}, as_json)
            return
    paths = _write(result, folder)
    summary = _summary(slide_dir, result, {**paths, "result": str(folder / "result.json")})
    (folder / "result.json").write_text(json.dumps(summary, indent=2) + "\n")
    _report(summary, as_json)


def _with_overrides(section: InferenceSettings, **overrides: object) -> InferenceSettings:
    given = {key: value for key, value in overrides.items() if value is not None}
    return InferenceSettings.model_validate({**section.model_dump(), **given})


def _run(engine: Engine, slide: WholeSlideImage) -> SlideInference:
    columns = (TextColumn("analysing"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"))
    with Progress(
        *columns, TimeElapsedColumn(), console=Console(stderr=True), transient=True
    ) as bar:
        task = bar.add_task("slide", total=1.0)
        return engine.run(slide, progress=lambda fraction: bar.update(task, completed=fraction))


def _write(result: SlideInference, folder: Path) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "map": folder / "probability_map.npy",
        "coverage": folder / "coverage.npy",
        "overlay": folder / "overlay.png",
    }
    np.save(paths["map"], result.probability_map.probabilities)
    np.save(paths["coverage"], result.probability_map.coverage)
    render_overlay(result).save(paths["overlay"])
    return {name: str(path) for name, path in paths.items()}


def _summary(slide_dir: Path, result: SlideInference, paths: dict[str, str]) -> dict[str, Any]:
    statistics, probability_map = result.statistics, result.probability_map
    timings = statistics.timings
    return {
        "slide": str(slide_dir),
        "evaluable": True,
        "score": result.score,
        "top_k": statistics.top_k_pixels,
        "tissue_area_mm2": statistics.tissue_area_mm2,
        "tissue_pixels": statistics.tissue_pixels,
        "tiles": statistics.tiles,
        "tiles_total": statistics.tiles_total,
        # The quality gate (null when off): each defect with its share, and what was left out.
        "quality": None
        if result.quality is None
        else {"findings": result.quality.findings(), "warning": warning(result.quality)},
        "analysis": {
            "level": statistics.analysis_level,
            "spacing_um": statistics.analysis_spacing_um,
            "resampled": statistics.resampled,
            "decode_reduction": statistics.decode_reduction,
        },
        "map": {
            "level": probability_map.level,
            "spacing_um": probability_map.pixel_spacing_um,
            "width": probability_map.width,
            "height": probability_map.height,
        },
        "model": {
            "name": result.model_name,
            "version": result.model_version,
            "sha256": result.model_sha256,
        },
        "devices": list(statistics.devices),
        "precision": statistics.precision,
        "timings_s": {
            "planning": timings.planning_s,
            "tissue": timings.tissue_s,
            "quality": timings.quality_s,
            "inference": timings.inference_s,
            "merge": timings.merge_s,
            "total": timings.total_s,
            # Summed over the reader threads; starved: the model waited for tiles.
            "reading": timings.reading_s,
            "starved": timings.starved_s,
        },
        "paths": paths,
    }


def _report(summary: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(summary))
        return
    console = Console()
    if not summary["evaluable"]:
        console.print(f"[bold yellow]not evaluable:[/] {summary['reason']}")
        return
    console.print(f"[bold]score {summary['score']:.4f}[/] (mean of the top {summary['top_k']})")
    console.print(
        f"  tissue {summary['tissue_area_mm2']:.1f} mm², {summary['tiles']} of "
        f"{summary['tiles_total']} tiles, {summary['timings_s']['total']:.1f} s"
    )
    for name, path in summary["paths"].items():
        console.print(f"  {name}: {path}")
