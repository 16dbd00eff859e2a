"""The `pathsentry` command: one Typer app, with each command in its own module."""

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from config import PathSentryError, Settings, load_settings
from config.log import configure_logging
from plugin.commands import (
    bench_cmd,
    config_cmd,
    db_cmd,
    demo_cmd,
    evaluate_cmd,
    infer_cmd,
    qc_evaluate_cmd,
    serve_cmd,
    synth_cmd,
    token_cmd,
    train_cmd,
    worker_cmd,
)
from plugin.version import service_version

log = logging.getLogger(__name__)

app = typer.Typer(
    name="pathsentry",
    help="PathSentry: AI triage for digital pathology, as a DICOM plugin beside your PACS.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="markdown",  # docstring paragraphs flow; their line breaks are not kept
)
app.add_typer(config_cmd.app, name="config")
app.add_typer(db_cmd.app, name="db")
app.add_typer(token_cmd.app, name="token")
app.command("serve")(serve_cmd.serve)
app.command("worker")(worker_cmd.worker)
app.command("demo")(demo_cmd.demo)
app.command("synth")(synth_cmd.synth)
app.command("infer")(infer_cmd.infer)
app.command("bench")(bench_cmd.bench)
app.command("train")(train_cmd.train)
app.command("evaluate")(evaluate_cmd.evaluate)
app.command("qc-evaluate")(qc_evaluate_cmd.qc_evaluate)


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"pathsentry {service_version()}")
        raise typer.Exit()


@app.callback()
def _start(
    ctx: typer.Context,
    _version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            envvar="PATHSENTRY_CONFIG",
            help="TOML file that overrides config/default.toml (environment wins over both).",
        ),
    ] = None,
) -> None:
    """Load the settings and configure logging once, before any command runs."""
    settings: Settings = load_settings(config)
    configure_logging(settings.log_level)
    ctx.obj = settings


def main() -> None:
    """Run the command line; errors we expect become one clear line and exit status 2."""
    try:
        app()
    except PathSentryError as error:
        Console(stderr=True).print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
        sys.exit(2)
