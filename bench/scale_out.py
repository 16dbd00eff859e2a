"""Scale-out: slides per hour with one and with two Celery workers, against the single process.

Each run is a fresh installation on this machine: a new PostgreSQL database, `pathsentry serve`
(all roles, no broker: the single process) or `serve --roles ingest,web,export` plus N
`pathsentry worker` processes on RabbitMQ, every analysing process limited to one CPU thread.
dcmtk's storescu sends the same small synthetic slides in one association; the run ends when
every job is done. Per run it prints slides per hour (jobs from first queued to last finished)
and the dispatch overhead per job: the time analysing processes spent idle while jobs waited,
per job ((processes x wall - sum of claim-to-outcome times) / jobs; message round trip, claim
and polling), and how long the first job waited from queued to claimed by an idle process.
The model is small and untrained by default: the figures measure dispatch and scaling, not the
network (`--weights` for a real one).

Usage: PYTHONPATH=. python bench/scale_out.py [--slides 6] [--weights FILE]
Needs PostgreSQL (PATHSENTRY_TEST_POSTGRES_URL or postgresql+psycopg://postgres@127.0.0.1/test),
RabbitMQ at 127.0.0.1:5672 (guest/guest) and /usr/bin/storescu.
"""

import argparse
import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
import torch

from db.models import Job, JobState
from db.session import connect
from inference.model import ModelConfig, build_model, save_weights
from plugin.tools.synthetic_slide import SyntheticSlideRequest, write_synthetic_slide

POSTGRES = os.environ.get(
    "PATHSENTRY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
RABBITMQ = "amqp://guest:guest@127.0.0.1:5672//"
CLI = [sys.executable, "-c", "from plugin.cli import main; main()"]
TIMEOUT_S = 1800.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slides", type=int, default=6)
    parser.add_argument("--weights", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="scale-out-") as temporary:
        folder = Path(temporary)
        weights = args.weights or _small_model(folder / "small.safetensors")
        slides = _slides(folder / "slides", args.slides)
        runs = {
            "single_process": _run(folder / "single", weights, slides, workers=0),
            "one_worker": _run(folder / "one", weights, slides, workers=1),
            "two_workers": _run(folder / "two", weights, slides, workers=2),
        }
    one, two = runs["one_worker"], runs["two_workers"]
    single = runs["single_process"]
    summary = {
        "slides": args.slides,
        "cpu_count": os.cpu_count(),
        "runs": runs,
        "two_over_one_workers": round(two["slides_per_hour"] / one["slides_per_hour"], 3),
        "one_worker_over_single_process": round(
            one["slides_per_hour"] / single["slides_per_hour"], 3
        ),
        "dispatch_overhead_s_per_job_minus_single_process": round(
            one["dispatch_overhead_s_per_job"] - single["dispatch_overhead_s_per_job"], 3
        ),
    }
    print(json.dumps(summary, indent=2))


def _run(folder: Path, weights: Path, slides: list[Path], *, workers: int) -> dict[str, Any]:
    folder.mkdir(parents=True)
    with _database() as url:
        env = _environment(folder, url, weights, distributed=workers > 0)
        processes: list[subprocess.Popen[bytes]] = []
        try:
            roles = ["--roles", "ingest,web,export"] if workers else []
            processes.append(_start(folder / "serve.log", ["serve", *roles], env))
            _wait(lambda: _healthy(env, processes[0]), "serve")
            for number in range(workers):
                log = folder / f"worker-{number}.log"
                processes.append(_start(log, ["worker", "--device", "cpu"], env))
                _wait(lambda log=log: " ready." in log.read_text(errors="replace"), "worker")
            _send(slides, int(env["PATHSENTRY_DICOM__PORT"]))
            _wait(lambda: _all_done(url, len(slides)), "every job to finish")
            return _figures(url, analysing_processes=max(workers, 1))
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=120)


def _figures(url: str, *, analysing_processes: int) -> dict[str, Any]:
    database = connect(url)
    try:
        with database.session() as session:
            jobs = list(session.scalars(sa.select(Job)))
    finally:
        database.dispose()
    start = min(job.queued_at for job in jobs)
    end = max(job.finished_at for job in jobs if job.finished_at is not None)
    wall = (end - start).total_seconds()
    busy = sum(
        (job.finished_at - job.started_at).total_seconds()
        for job in jobs
        if job.finished_at is not None and job.started_at is not None
    )
    first = min(jobs, key=lambda job: (job.queued_at, job.id))
    assert first.started_at is not None
    return {
        "analysing_processes": analysing_processes,
        "first_job_pickup_s": round((first.started_at - first.queued_at).total_seconds(), 3),
        "wall_s": round(wall, 2),
        "slides_per_hour": round(len(jobs) / wall * 3600, 1),
        "mean_analysis_s": round(busy / len(jobs), 2),
        "dispatch_overhead_s_per_job": round((analysing_processes * wall - busy) / len(jobs), 3),
    }


def _environment(folder: Path, url: str, weights: Path, *, distributed: bool) -> dict[str, str]:
    return {
        **os.environ,
        "PATHSENTRY_CONFIG": "",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PATHSENTRY_STORAGE__DATA_DIR": str(folder / "data"),
        "PATHSENTRY_DB__URL": url,
        "PATHSENTRY_JOBS__BROKER_URL": RABBITMQ if distributed else "",
        "PATHSENTRY_JOBS__QUEUE": f"pathsentry.bench.{secrets.token_hex(4)}",
        "PATHSENTRY_DICOM__HOST": "127.0.0.1",
        "PATHSENTRY_DICOM__PORT": str(_free_port()),
        "PATHSENTRY_WEB__PORT": str(_free_port()),
        "PATHSENTRY_INFERENCE__WEIGHTS": str(weights),
        "PATHSENTRY_INFERENCE__DEVICE": "cpu",
        "PATHSENTRY_INFERENCE__TILE_SIZE": "320",
        "PATHSENTRY_INFERENCE__TILE_KEEP": "288",
        "PATHSENTRY_INFERENCE__BATCH_SIZE": "2",
        "PATHSENTRY_INFERENCE__TOP_K": "200",
    }


@contextlib.contextmanager
def _database() -> Iterator[str]:
    server = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    name = f"pathsentry_bench_{secrets.token_hex(4)}"
    with server.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.dispose()


def _small_model(path: Path) -> Path:
    torch.manual_seed(0)
    config = ModelConfig.for_stride(
        16, name="bench-small", version="1", depth=18, width=8, aspp_channels=16
    )
    save_weights(build_model(config).eval(), config, path)
    return path


def _slides(folder: Path, count: int) -> list[Path]:
    written = []
    for number in range(count):
        request = SyntheticSlideRequest(
            kind="malignant" if number % 2 else "benign",
            seed=9800 + number,
            width_um=1600,
            height_um=1200,
            case=f"BENCH-{number}",
        )
        target = folder / f"slide-{number}"
        write_synthetic_slide(target, request)
        written.append(target)
    return written


def _send(slides: list[Path], port: int) -> None:
    paths = [str(path) for slide in slides for path in sorted(slide.glob("*.dcm"))]
    command = ["/usr/bin/storescu", "-R", "-xy", "-aet", "BENCH", "-aec", "PATHSENTRY"]
    subprocess.run([*command, "127.0.0.1", str(port), *paths], check=True, timeout=600)


def _start(log: Path, arguments: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    handle = log.open("ab")
    return subprocess.Popen([*CLI, *arguments], env=env, stdout=handle, stderr=handle)


def _healthy(env: dict[str, str], process: subprocess.Popen[bytes]) -> bool:
    if process.poll() is not None:
        raise RuntimeError(f"serve exited with {process.returncode}")
    try:
        url = f"http://127.0.0.1:{env['PATHSENTRY_WEB__PORT']}/healthz"
        return httpx.get(url).status_code == 200
    except httpx.TransportError:
        return False


def _all_done(url: str, count: int) -> bool:
    database = connect(url)
    try:
        with database.session() as session:
            states = list(session.scalars(sa.select(Job.state)))
    finally:
        database.dispose()
    return states == [JobState.DONE] * count


def _wait(condition: Any, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"gave up waiting for {what}")
        time.sleep(0.2)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


if __name__ == "__main__":
    main()
