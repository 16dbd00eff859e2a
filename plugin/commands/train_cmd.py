"""`pathsentry train`: learn the segmentation network from a folder of annotated slides."""

import dataclasses
import json
import logging
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from config import PathSentryError, Settings
from inference.model import ModelConfig, read_weights
from inference.training import (
    CHECKPOINT_NAME,
    ClassMapping,
    PreparedSlide,
    Trainer,
    TrainingOptions,
    TrainingResult,
    TrainingSlide,
    Unannotated,
    prepare_slide,
    split_slides,
)
from plugin.tools.annotated_slides import find_slides, open_training_slides
from plugin.tools.training_progress import ProgressReporter, write_history

log = logging.getLogger(__name__)

UNANNOTATED_HELP = (
    "What tissue outside every annotation is: 'ignore' (the default, safe for partial "
    "annotations: it gives no loss) or 'benign' (only right when every malignant region is "
    "outlined, as in synthetic slides). Default: training.unannotated."
)


def train(
    ctx: typer.Context,
    data: Annotated[
        Path,
        typer.Argument(help="Folder of slide folders (DICOM WSM files) with their annotations."),
    ],
    out: Annotated[
        Path,
        typer.Option(help="Run folder: checkpoint.pt, model.safetensors, history.json, loss.png."),
    ],
    resume: Annotated[
        bool, typer.Option(help="Go on from the run folder's checkpoint (same data and options).")
    ] = False,
    init: Annotated[
        Path | None,
        typer.Option(
            help="Fine-tune from these weights (.safetensors or .pt, e.g. torchvision "
            "deeplabv3_resnet50); the last layer is re-initialised."
        ),
    ] = None,
    steps: Annotated[
        int | None, typer.Option(min=1, help="Optimiser steps in all; default: training.steps.")
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option(min=1, help="Patches per step; default: training.batch_size.")
    ] = None,
    learning_rate: Annotated[
        float | None,
        typer.Option(help="Adam's peak learning rate; default: training.learning_rate."),
    ] = None,
    patch_size: Annotated[
        int | None,
        typer.Option(
            help="Patch side at the analysis spacing; default: training.patch_size (320)."
        ),
    ] = None,
    validation_fraction: Annotated[
        float | None, typer.Option(help="Share of slides held out for validation.")
    ] = None,
    seed: Annotated[
        int | None, typer.Option(min=0, help="Seed of sampling, augmentation and initialisation.")
    ] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Threads reading patches.")] = None,
    device: Annotated[
        str | None, typer.Option(help="auto, cpu, cuda or cuda:N; default: training.device.")
    ] = None,
    precision: Annotated[
        str | None,
        typer.Option(help="auto (mixed precision on CUDA), float32, bfloat16 or float16."),
    ] = None,
    unannotated: Annotated[Unannotated | None, typer.Option(help=UNANNOTATED_HELP)] = None,
    class_names: Annotated[
        list[str] | None,
        typer.Option(
            "--class",
            help="Map another annotation class: NAME=malignant|benign|ignore (repeatable).",
        ),
    ] = None,
    depth: Annotated[
        int | None,
        typer.Option(help="ResNet depth: 18, 34, 50 or 101 (default 50, or the --init file's)."),
    ] = None,
    width: Annotated[
        int | None, typer.Option(min=1, help="ResNet base width (64 is standard).")
    ] = None,
    aspp_channels: Annotated[
        int | None, typer.Option(min=1, help="Channels of the ASPP head (256 is standard).")
    ] = None,
    output_stride: Annotated[
        int | None, typer.Option(help="8 (finer maps) or 16 (faster).")
    ] = None,
    atrous_rates: Annotated[
        str | None,
        typer.Option(
            help="ASPP atrous rates as A,B,C; default (12,24,36) at stride 8, halved at 16. "
            "Smaller rates suit small patches: a rate beyond the patch's feature map sees "
            "only padding in training but tissue on large inference tiles."
        ),
    ] = None,
    name: Annotated[str | None, typer.Option(help="Model name stored with the weights.")] = None,
    version: Annotated[
        str | None, typer.Option(help="Model version stored with the weights.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object (the run's summary).")
    ] = False,
) -> None:
    """Train DeepLab v3 on 320 px patches at 20x from annotated slides (Song et al.).

    Annotations are DICOM Segmentations, DICOM bulk annotations or QuPath GeoJSON in each
    slide's folder (or its truth/ or annotations/ folder). Class names map case-insensitively:
    malignant = Tumor, Tumour, Malignant, Carcinoma, Cancer, ...; benign = Benign, Normal,
    Stroma, Non-tumor, ...; ignore = Ignore, Poor quality, Other, Artifact, ... (no loss).
    Patches are drawn from tissue only, half centred on malignant tissue, with the paper's
    rotations, flips, blurs and colour jitter; Adam; whole slides are held out for validation.
    Interrupt at any time (Ctrl-C): the run saves a checkpoint, and --resume goes on from it.
    """
    settings: Settings = ctx.obj
    options = TrainingOptions.from_settings(
        settings.training,
        steps=steps,
        batch_size=batch_size,
        learning_rate=learning_rate,
        patch_size=patch_size,
        validation_fraction=validation_fraction,
        seed=seed,
        workers=workers,
        device=device,
        precision=precision,
        unannotated=unannotated,
    )
    if (out / CHECKPOINT_NAME).is_file() and not resume:
        raise PathSentryError(
            f"{out} already holds a training run; pass --resume to go on with it, "
            "or choose another --out"
        )
    architecture = _architecture(
        settings.inference.analysis_spacing_um,
        init,
        {
            "depth": depth,
            "width": width,
            "aspp_channels": aspp_channels,
            "name": name,
            "version": version,
        },
        output_stride,
        atrous_rates,
    )
    mapping = ClassMapping.parse(class_names or [])
    found = find_slides(data)
    if not found:
        raise PathSentryError(f"{data} holds no slide folders (DICOM WSM files)")
    started = time.perf_counter()
    with open_training_slides(found, mapping) as slides:
        prepared = _prepare(slides, architecture, options)
        split = split_slides(prepared, options.validation_fraction, options.seed)
        trainer = Trainer(split, architecture, options, out, init_weights=init)
        resumed = resume and trainer.resume()
        with ProgressReporter(out, quiet=as_json) as reporter:
            result = trainer.run(reporter)
    history_path, curve_path = write_history(result.history, out)
    summary = _summary(
        result, split.names(), resumed, history_path, curve_path, time.perf_counter() - started
    )
    _report(summary, as_json)


def _architecture(
    spacing_um: float,
    init: Path | None,
    fields: dict[str, Any],
    output_stride: int | None,
    atrous_rates: str | None,
) -> ModelConfig:
    """The model to train: the --init file's architecture (or the standard one), then flags."""
    base = read_weights(init).config if init is not None else None
    config = base or ModelConfig(analysis_spacing_um=spacing_um)
    given = {key: value for key, value in fields.items() if value is not None}
    if output_stride is not None and output_stride != config.output_stride:
        rates = ModelConfig.for_stride(output_stride).atrous_rates
        given |= {"output_stride": output_stride, "atrous_rates": rates}
    if atrous_rates is not None:
        given["atrous_rates"] = _rates(atrous_rates)
    return dataclasses.replace(config, num_classes=1, **given)


def _rates(text: str) -> tuple[int, int, int]:
    try:
        rates = tuple(int(part) for part in text.split(","))
    except ValueError:
        rates = ()
    if len(rates) != 3 or min(rates) < 1:
        raise PathSentryError(f"--atrous-rates takes three positive integers A,B,C; got {text!r}")
    return rates[0], rates[1], rates[2]


def _prepare(
    slides: list[TrainingSlide], config: ModelConfig, options: TrainingOptions
) -> list[PreparedSlide]:
    console = Console(stderr=True)
    prepared = []
    with console.status("finding tissue and labels") as status:
        for index, slide in enumerate(slides, 1):
            status.update(
                f"finding tissue and labels: slide {index} of {len(slides)} ({slide.name})"
            )
            prepared.append(
                prepare_slide(
                    slide,
                    config.analysis_spacing_um,
                    options.spacing_tolerance,
                    options.unannotated,
                )
            )
    if not prepared:
        raise PathSentryError(
            "no annotated slides to train on: add annotation files beside the slides"
        )
    return prepared


def _summary(
    result: TrainingResult,
    split: dict[str, list[str]],
    resumed: bool,
    history: Path,
    curve: Path,
    seconds: float,
) -> dict[str, Any]:
    validations = result.history.validations
    return {
        "weights": str(result.weights),
        "sha256": result.sha256,
        "checkpoint": str(result.checkpoint),
        "history": str(history),
        "loss_curve": str(curve),
        "steps": result.step,
        "resumed": resumed,
        "training_slides": split["training"],
        "validation_slides": split["validation"],
        "final_training_loss": result.history.losses[-1] if result.history.losses else None,
        "validation": validations[-1] if validations else None,
        "seconds": seconds,
        "training_seconds": result.history.seconds,
    }


def _report(summary: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(summary))
        return
    console = Console()
    console.print(
        f"[bold]trained {summary['steps']} steps[/] in {summary['training_seconds']:.0f} s"
    )
    validation = summary["validation"]
    if validation:
        console.print(
            f"  validation loss {validation['loss']:.4f}, Dice {validation['dice']:.3f}, "
            f"pixel accuracy {validation['accuracy']:.3f}"
        )
    for key in ("weights", "checkpoint", "history", "loss_curve"):
        console.print(f"  {key}: {summary[key]}")
