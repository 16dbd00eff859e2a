"""`pathsentry worker` on a host with several devices: one child process per device.

Each child is `pathsentry worker --device DEVICE` (its own CUDA context, model copy, reader
threads and Celery consumer); child number i answers /healthz and /metrics on the metrics port
plus i. The parent passes SIGTERM and SIGINT on (each child puts its running job back in the
queue) and waits; when a child exits on its own, the parent stops the others and exits with
that child's status, so that the orchestrator restarts the whole worker.
"""

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

log = logging.getLogger(__name__)

_POLL_S = 0.5
STOP_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class DeviceProcess:
    """One child: its device and the port of its /healthz and /metrics (None: none)."""

    device: str
    metrics_port: int | None

    def command(self, concurrency: int) -> list[str]:
        """The child's command line."""
        command = [
            sys.executable,
            "-c",
            "from plugin.cli import main; main()",
            "worker",
            "--device",
            self.device,
            "--concurrency",
            str(concurrency),
        ]
        if self.metrics_port is not None:
            command += ["--metrics-port", str(self.metrics_port)]
        return command


def plan_processes(devices: Sequence[str], metrics_port: int | None) -> list[DeviceProcess]:
    """One process per device, in order; child i gets the metrics port + i."""
    if metrics_port is not None and metrics_port + len(devices) - 1 > 65535:
        raise ValueError(f"metrics ports {metrics_port}..+{len(devices) - 1} exceed 65535")
    return [
        DeviceProcess(device, None if metrics_port is None else metrics_port + index)
        for index, device in enumerate(devices)
    ]


def run_per_device(
    processes: Sequence[DeviceProcess], concurrency: int, config_file: Path | None
) -> int:
    """Start a child per device and wait for them; returns the exit status for this process."""
    env = dict(os.environ)
    if config_file is not None:
        env["PATHSENTRY_CONFIG"] = str(config_file)
    children = [subprocess.Popen(process.command(concurrency), env=env) for process in processes]
    for process, child in zip(processes, children, strict=True):
        port = "" if process.metrics_port is None else f", /healthz on port {process.metrics_port}"
        log.info("worker process %d for %s%s", child.pid, process.device, port)
    stopping = []

    def stop(signum: int, _frame: FrameType | None) -> None:
        stopping.append(signum)
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        return _wait(processes, children, stopping)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _wait(
    processes: Sequence[DeviceProcess],
    children: Sequence[subprocess.Popen[bytes]],
    stopping: list[int],
) -> int:
    while all(child.poll() is None for child in children):
        time.sleep(_POLL_S)
    if stopping:
        for child in children:
            child.wait(STOP_TIMEOUT_S)
        return 0
    process, ended = next(
        (p, c) for p, c in zip(processes, children, strict=True) if c.poll() is not None
    )
    log.error(
        "the worker process for %s exited with status %s: stopping the others; restart the "
        "worker (its log above says why)",
        process.device,
        ended.returncode,
    )
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        child.wait(STOP_TIMEOUT_S)
    return ended.returncode or 1
