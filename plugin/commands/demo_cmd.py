"""`pathsentry demo`: synthetic slides through the live service, worklist and dashboard."""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn
from rich.table import Table

from config import Settings
from config.log import configure_logging
from db.worklist import WorklistEntry
from plugin.commands.serve_cmd import wait_for_stop_signal
from plugin.service import Service
from plugin.tools.demo import (
    DEMO_SLIDES,
    SlideProgress,
    demo_settings,
    make_slides,
    ranked_cases,
    send_slides,
    start_demo_service,
    wait_for_analyses,
)


def demo(
    ctx: typer.Context,
    folder: Annotated[
        Path, typer.Option("--dir", help="Folder for the demo's slides, database and inbox.")
    ] = Path("pathsentry-demo"),
    exit_after: Annotated[
        bool, typer.Option("--exit", help="Exit once the worklist is printed.")
    ] = False,
    count: Annotated[
        int, typer.Option("--slides", min=1, max=len(DEMO_SLIDES), help="How many slides.")
    ] = len(DEMO_SLIDES),
) -> None:
    """Send synthetic slides to a live PathSentry as a scanner would; show the worklist.

    The worklist is printed in priority order, and the dashboard stays up until Ctrl-C (or
    --exit). SEG and SR go to DIR/inbox (a folder destination) and to every destination
    configured.
    """
    console = Console(stderr=True)
    folder = folder.resolve()
    settings = demo_settings(ctx.obj, folder)
    log_file = folder / "pathsentry.log"
    configure_logging(settings.log_level, file=log_file, console_level="WARNING")
    console.print(
        f"making synthetic slides in {folder / 'slides'} (the service logs to {log_file})"
    )
    slides = make_slides(folder / "slides", DEMO_SLIDES[:count])
    service = start_demo_service(settings)
    try:
        console.print(f"sending {len(slides)} slides by C-STORE to port {service.dicom_port} ...")
        send_slides(service, slides)
        _follow(service, slides, console)
        _print_worklist(ranked_cases(service), settings)
        token = settings.web.admin_token.get_secret_value() if settings.web.admin_token else ""
        console.print(f"\nresults (SEG and SR) are in {folder / 'inbox'}")
        console.print(f"dashboard: [bold]{service.web_url}[/]", soft_wrap=True)
        console.print(f"admin token: {token}", soft_wrap=True)
        if not exit_after:
            console.print("press Ctrl-C to stop")
            wait_for_stop_signal()
    finally:
        service.stop()


def _follow(service: Service, slides: list[Path], console: Console) -> None:
    columns = (
        TextColumn("{task.description:<28}"),
        BarColumn(),
        TextColumn("{task.fields[status]}"),
    )
    with Progress(*columns, console=console) as bar:
        tasks: dict[str, TaskID] = {
            slide.name: bar.add_task(slide.name, total=1.0, status="receiving") for slide in slides
        }

        def report(states: list[SlideProgress]) -> None:
            for state in states:
                shown = "exported" if state.exported else state.status
                bar.update(tasks[state.name], completed=state.progress, status=shown)

        wait_for_analyses(service, slides, report)


def _print_worklist(entries: list[WorklistEntry], settings: Settings) -> None:
    table = Table(title=f"Worklist (suspicious at probability >= {settings.triage.threshold:g})")
    for column in ("#", "accession", "priority", "slides", "max probability", "exports"):
        table.add_column(column)
    for rank, entry in enumerate(entries, start=1):
        statuses = ", ".join(sorted({slide.status.value for slide in entry.slides}))
        exports = ", ".join(
            sorted({slide.export_state.value for slide in entry.slides if slide.export_state})
        )
        score = "-" if entry.max_score is None else f"{entry.max_score:.3f}"
        table.add_row(
            str(rank),
            entry.accession_number or "",
            f"[bold red]{entry.priority.label}[/]" if entry.suspicious else entry.priority.label,
            f"{len(entry.slides)} ({statuses})",
            score,
            exports or "-",
        )
    Console().print(table)
