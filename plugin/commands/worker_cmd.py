"""`pathsentry worker`: analyses slides for a distributed installation (Celery)."""

from typing import Annotated

import typer
from pydantic import TypeAdapter, ValidationError

from config import Settings
from config.settings import Device
from inference.devices import resolve_devices
from inference.errors import InferenceError
from plugin.distributed.worker import run_worker


def worker(
    ctx: typer.Context,
    device: Annotated[
        str | None,
        typer.Option(help="cpu, cuda or cuda:N (default: inference.device; one GPU each)."),
    ] = None,
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="Slides analysed at once by this process.")
    ] = 1,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            min=1, max=65535, help="Serve Prometheus metrics and GET /healthz on this port."
        ),
    ] = None,
) -> None:
    """Analyse slides from the broker in jobs.broker_url: one process per GPU, on any machine.

    Needs the installation's PostgreSQL (db.url) and its storage.data_dir, shared with the
    `pathsentry serve --roles ingest,web,export` node(s). SIGTERM puts the running job back in
    the queue; a killed worker's job is redelivered to another worker.
    """
    settings: Settings = ctx.obj
    chosen = _device(device or settings.inference.device, settings.inference.allow_cpu_fallback)
    run_worker(settings, device=chosen, concurrency=concurrency, metrics_port=metrics_port)


def _device(value: str, allow_cpu_fallback: bool) -> str:
    try:
        checked = TypeAdapter(Device).validate_python(value)
    except ValidationError as error:
        reason = error.errors()[0]["msg"]
        raise typer.BadParameter(f"{value!r}: {reason}", param_hint="--device") from error
    try:
        return str(resolve_devices(checked, allow_cpu_fallback)[0])
    except InferenceError as error:
        raise typer.BadParameter(str(error), param_hint="--device") from error
