"""`pathsentry worker`: analyses slides for a distributed installation (Celery)."""

from pathlib import Path
from typing import Annotated

import typer
from pydantic import TypeAdapter, ValidationError

from config import Settings
from config.settings import Device
from inference.devices import resolve_devices
from inference.errors import InferenceError
from plugin.distributed.per_device import plan_processes, run_per_device
from plugin.distributed.worker import run_worker


def worker(
    ctx: typer.Context,
    device: Annotated[
        str | None,
        typer.Option(
            help="auto, cpu, cuda, cuda:N, or a comma-separated list (default: "
            "inference.device); several devices: one process per device."
        ),
    ] = None,
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="Slides analysed at once by each process.")
    ] = 1,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=65535,
            help="Serve Prometheus metrics and GET /healthz on this port (the process of "
            "device number i, of several: this port + i).",
        ),
    ] = None,
) -> None:
    """Analyse slides from the broker in jobs.broker_url: one process per GPU, on any machine.

    With several devices (auto or cuda on a host with several GPUs, or a list such as
    cuda:0,cuda:1) it starts one worker process per device and waits for them.
    Needs the installation's PostgreSQL (db.url) and its storage.data_dir, shared with the
    `pathsentry serve --roles ingest,web,export` node(s). SIGTERM puts the running job back in
    the queue; a killed worker's job is redelivered to another worker.
    """
    settings: Settings = ctx.obj
    setting = device or settings.inference.device
    devices = worker_devices(setting, settings.inference.allow_cpu_fallback)
    if len(devices) == 1:
        run_worker(settings, device=devices[0], concurrency=concurrency, metrics_port=metrics_port)
        return
    try:
        processes = plan_processes(devices, metrics_port)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--metrics-port") from error
    config_file: Path | None = ctx.find_root().params.get("config")
    raise typer.Exit(run_per_device(processes, concurrency, config_file))


def worker_devices(value: str, allow_cpu_fallback: bool) -> list[str]:
    """The device of each worker process: every device each comma-separated item names."""
    devices = []
    for item in [part.strip() for part in value.split(",") if part.strip()] or [value]:
        try:
            checked = TypeAdapter(Device).validate_python(item)
        except ValidationError as error:
            reason = error.errors()[0]["msg"]
            raise typer.BadParameter(f"{item!r}: {reason}", param_hint="--device") from error
        try:
            devices += [str(d) for d in resolve_devices(checked, allow_cpu_fallback)]
        except InferenceError as error:
            raise typer.BadParameter(str(error), param_hint="--device") from error
    return devices
