"""`pathsentry evaluate`: a model's slide-level figures on a labelled set, as Song et al. report."""

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from config import InferenceSettings, Settings
from inference.aggregation import aggregator
from inference.engine import Engine
from inference.quality import QualityParameters
from plugin.analysis.allocator import keep_freed_memory
from plugin.tools.evaluation_report import write_report
from plugin.tools.evaluation_set import PERIODS, LabelledSlide, read_evaluation_set
from plugin.tools.evaluation_summary import EvaluationPlan, summarise
from plugin.tools.slide_scoring import SlideOutcome, score_slides


def evaluate(
    ctx: typer.Context,
    labels: Annotated[
        Path,
        typer.Argument(
            help="CSV with columns slide,label[,scanner,site,date,score]; "
            "slide folders relative to it."
        ),
    ],
    weights: Annotated[
        Path | None,
        typer.Option(help="Model weights; default: inference.weights (or the bundled demo model)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Report folder; default: out/evaluation-CSVNAME (the CSV file's name)."),
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option(min=0, max=1, help="Operating threshold; default: triage.threshold."),
    ] = None,
    target_sensitivity: Annotated[
        float | None,
        typer.Option(
            min=0.01,
            max=1,
            help="Report the threshold reaching this sensitivity; "
            "default: evaluation.target_sensitivity.",
        ),
    ] = None,
    period: Annotated[
        str | None,
        typer.Option(
            help=f"Time periods of the breakdown: {', '.join(PERIODS)}; default: evaluation.period."
        ),
    ] = None,
    score: Annotated[
        str,
        typer.Option(
            help="Slide score: top-K such as top-100 (default: the engine's top-k mean), "
            "max or tissue-mean."
        ),
    ] = "",
    bootstrap: Annotated[
        int | None,
        typer.Option(
            min=0, help="Bootstrap resamples for 95% intervals; default: evaluation.bootstrap."
        ),
    ] = None,
    device: Annotated[
        str | None, typer.Option(help="auto, cpu, cuda or cuda:N; default: inference.device.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object: the metrics.")
    ] = False,
) -> None:
    """Score every slide of a labelled set and report AUC, accuracy, sensitivity, specificity.

    Figures are given at the configured threshold (a slide at or above it is suspicious)
    and at the highest threshold reaching the target sensitivity, overall and by scanner,
    site and time period; the report folder gets report.md, roc.png, violin.png,
    scores.csv and metrics.json. Slides whose folder holds truth/truth.json (as
    `pathsentry synth` writes) also get heatmap figures: Dice, pixel sensitivity and
    specificity, and the share of lesions the map reaches.
    """
    settings: Settings = ctx.obj
    keep_freed_memory()
    rows = read_evaluation_set(labels)
    plan = EvaluationPlan(
        threshold=settings.triage.threshold if threshold is None else threshold,
        target_sensitivity=target_sensitivity or settings.evaluation.target_sensitivity,
        period=period or settings.evaluation.period,
        resamples=settings.evaluation.bootstrap if bootstrap is None else bootstrap,
    )
    folder = out or Path("out") / f"evaluation-{labels.stem}"
    engine = None
    if any(row.score is None for row in rows):
        gate = QualityParameters.from_settings(settings.quality)
        engine = Engine.from_settings(_inference(settings.inference, weights, device), quality=gate)
    outcomes = _score(rows, engine, score or f"top-{settings.inference.top_k}", plan, as_json)
    summary = summarise(outcomes, plan)
    summary |= {"score": score or f"top-{settings.inference.top_k}", "model": _model(engine)}
    files = write_report(folder, outcomes, summary, f"Evaluation of {labels.name}")
    _report({**summary, "files": files}, as_json)


def _inference(
    section: InferenceSettings, weights: Path | None, device: str | None
) -> InferenceSettings:
    given = {
        key: value
        for key, value in {"weights": weights, "device": device}.items()
        if value is not None
    }
    return InferenceSettings.model_validate({**section.model_dump(), **given})


def _score(
    rows: list[LabelledSlide], engine: Engine | None, score: str, plan: EvaluationPlan, quiet: bool
) -> list[SlideOutcome]:
    columns = (TextColumn("evaluating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), disable=quiet) as progress:
        task = progress.add_task("slides", total=len(rows))
        return score_slides(
            rows, engine, aggregator(score), plan.map_threshold, lambda _row: progress.advance(task)
        )


def _model(engine: Engine | None) -> dict[str, Any] | None:
    if engine is None:
        return None
    config, model = engine.model.config, engine.model
    return {"name": config.name, "version": config.version, "sha256": model.sha256}


def _report(summary: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(summary))
        return
    console = Console()
    overall = summary["overall"]
    console.print(
        f"[bold]{summary['evaluable']} slides[/] "
        f"({overall['malignant']} malignant, {overall['benign']} benign)"
    )
    auc = "n/a" if overall["auc"] is None else f"{overall['auc']:.3f}"
    console.print(
        f"  AUC {auc}; at threshold {overall['threshold']:.3g}: "
        f"sensitivity {_f(overall['sensitivity'])}, specificity {_f(overall['specificity'])}, "
        f"accuracy {_f(overall['accuracy'])}"
    )
    target = overall["at_target"]
    if target:
        console.print(
            f"  sensitivity >= {overall['target_sensitivity']} at threshold "
            f"{target['threshold']:.6g} (specificity {_f(target['specificity'])})"
        )
    maps = summary["maps"]
    if maps:
        pooled = maps["pooled"]
        console.print(
            f"  heatmaps: Dice {_f(pooled['dice'])}, "
            f"lesions hit {pooled['lesions_hit']} of {pooled['lesions']}"
        )
    for name, path in summary["files"].items():
        console.print(f"  {name}: {path}")


def _f(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
