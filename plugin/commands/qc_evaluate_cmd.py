"""`pathsentry qc-evaluate`: the quality gate measured on held-out synthetic slides with truth."""

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from config import Settings
from inference.quality import QualityParameters
from plugin.tools.qc_metrics import summarise
from plugin.tools.qc_report import markdown
from plugin.tools.qc_scoring import QcRule, assess_slide
from plugin.tools.qc_slides import EVALUATION_SEEDS, held_out_cases, write_cases


def qc_evaluate(
    ctx: typer.Context,
    out: Annotated[
        Path, typer.Option(help="Folder for the slides (kept and reused) and the report.")
    ] = Path("out/qc-evaluation"),
    seeds: Annotated[
        int,
        typer.Option(
            min=1, max=100, help="Seeds; each gives 6 slides (clean, 4 artefacts, heavy blur)."
        ),
    ] = 2,
    first_seed: Annotated[
        int,
        typer.Option(
            min=0,
            help=f"First seed; seeds from {EVALUATION_SEEDS} on are held out from calibration.",
        ),
    ] = EVALUATION_SEEDS,
    width_mm: Annotated[float, typer.Option(min=0.5, max=20, help="Slide width.")] = 1.6,
    height_mm: Annotated[float, typer.Option(min=0.5, max=20, help="Slide height.")] = 1.2,
    cell_um: Annotated[
        float, typer.Option(min=16, max=4096, help="Side of a region (a cell of the QC grid).")
    ] = 128.0,
    min_truth_fraction: Annotated[
        float,
        typer.Option(
            min=0,
            max=1,
            help="Truth calls a slide clean when artefacts cover less of its tissue than this.",
        ),
    ] = 0.01,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Measure the quality gate: per artefact kind, region sensitivity and specificity; per
    slide, its decision (not evaluable, scored with a warning, clean) against truth.

    Writes (or reuses) synthetic slides with known artefacts under OUT/slides (`pathsentry
    synth --artefact`), runs the gate's checks on each as the service reads it (DICOM, with the
    `[quality]` settings) and compares with the truth masks. OUT receives qc-metrics.json and
    qc-report.md.
    """
    settings: Settings = ctx.obj
    parameters = QualityParameters.from_settings(settings.quality)
    rule = QcRule(parameters, cell_um, min_truth_fraction)
    cases = held_out_cases(range(first_seed, first_seed + seeds))
    started = time.perf_counter()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), disable=as_json) as progress:
        writing = progress.add_task("slides", total=len(cases))
        folders = write_cases(
            out / "slides",
            cases,
            width_mm * 1000,
            height_mm * 1000,
            lambda _c: progress.advance(writing),
        )
        checking = progress.add_task("checks", total=len(folders))
        slides = []
        for folder in folders:
            slides.append(assess_slide(folder, rule))
            progress.advance(checking)
    summary: dict[str, Any] = {
        "cell_um": cell_um,
        "min_truth_fraction": min_truth_fraction,
        "seeds": [first_seed, first_seed + seeds - 1],
        "slide_mm": [width_mm, height_mm],
        "parameters": settings.quality.model_dump(),
        **summarise(slides),
        "gate_seconds_per_slide": sum(s.seconds for s in slides) / len(slides),
        "seconds": round(time.perf_counter() - started, 1),
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "qc-metrics.json").write_text(json.dumps(summary, indent=2))
    (out / "qc-report.md").write_text(markdown(summary))
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        typer.echo(markdown(summary))
        typer.echo(f"report: {out / 'qc-report.md'}, metrics: {out / 'qc-metrics.json'}")
