"""Result latency: from the last C-STORE of a slide acknowledged to its SR delivered.

The whole service runs in this process (its defaults: the demo model on the CPU, SQLite, one
worker, polls every `jobs.poll_interval_s`) with a folder as the export destination. dcmtk's
storescu sends a small synthetic slide, each round under fresh UIDs; the clock starts when
storescu returns (every instance acknowledged, the association released) and stops when the
SR file appears in the destination folder. The job's own time (claim to result) is read from
the database, so that the rest, the time spent waiting for a worker or an exporter to look,
shows apart. Prints one JSON object with the medians.

`--split`: the roles in three processes on one PostgreSQL database (a private one, made on
the `--postgres` server and dropped afterwards): ingest in this one, analysis and export in
two child processes, as `serve --roles` split across machines runs them. Each child runs
its loop twice, first without cross-process wake-ups (in-process bells only: the loop finds
another process's work at its poll) and then with its LISTEN connection: both figures side by
side in one run.

Usage: PYTHONPATH=. python bench/result_latency.py [--rounds 7] [--poll 1.0] [--split]
Run it on a tree without wake-ups (PYTHONPATH=<that tree>) to compare in one process.
"""

import argparse
import contextlib
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pydicom import dcmread
from pydicom.uid import generate_uid

from config import ExportSettings, JobSettings, Settings, StorageSettings, WebSettings
from config.settings import DbSettings, DicomSettings, FolderDestination
from db.migrate import upgrade
from db.models import Job, Result
from db.session import Database, connect
from plugin.analysis import WorkerPool
from plugin.analysis.pipeline import SlidePipeline
from plugin.export.loop import ExportService
from plugin.roles import Role
from plugin.service import start_service
from plugin.tools.synthetic_slide import SyntheticSlideRequest, write_synthetic_slide
from plugin.wakeup import Listener, Wakeup

STORESCU = "/usr/bin/storescu"  # dcmtk's, not the venv's pynetdicom script of the same name
POSTGRES = os.environ.get(
    "PATHSENTRY_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--poll", type=float, default=1.0, help="jobs.poll_interval_s")
    parser.add_argument("--split", action="store_true", help="roles in three processes")
    parser.add_argument("--postgres", default=POSTGRES, help="server for --split's database")
    parser.add_argument("--role", choices=["analysis", "export"], help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--listen", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role:
        _child(args.role, _settings(args.root, args.poll, args.url), listen=args.listen)
        return
    with tempfile.TemporaryDirectory(prefix="pathsentry-latency-") as scratch:
        root = Path(scratch)
        slide = root / "slide"
        write_synthetic_slide(
            slide, SyntheticSlideRequest("malignant", 3, 600, 500, tile_size=256, case="BENCH")
        )
        (root / "share").mkdir()
        if args.split:
            summary = _split(root, slide, args.rounds, args.poll, args.postgres)
        else:
            summary = _summary(_in_one_process(root, slide, args.rounds, args.poll), args.poll)
    print(json.dumps(summary, indent=2))


def _in_one_process(root: Path, slide: Path, rounds: int, poll_s: float) -> list[dict[str, float]]:
    service = start_service(_settings(root, poll_s))
    try:
        folders = [root / f"round-{number}" for number in range(rounds)]
        return [_round(service.dicom_port, service.database, slide, folder) for folder in folders]
    finally:
        service.stop()


def _split(root: Path, slide: Path, rounds: int, poll_s: float, server: str) -> dict[str, Any]:
    """The same rounds with the loops polling only, then woken by NOTIFY, side by side."""
    summaries = {}
    with _private_database(server) as url:
        settings = _settings(root, poll_s, url)
        service = start_service(settings, roles=frozenset({Role.INGEST}))
        try:
            for mode in ("poll", "notify"):
                with _children(root, poll_s, url, listen=mode == "notify"):
                    folders = [root / f"{mode}-{number}" for number in range(rounds)]
                    measured = [
                        _round(service.dicom_port, service.database, slide, folder)
                        for folder in folders
                    ]
                summaries[mode] = _summary(measured, poll_s)
        finally:
            service.stop()
    poll, notify = summaries["poll"], summaries["notify"]
    return {
        "processes": "ingest | analysis | export, one PostgreSQL database",
        "median_latency_s": {
            "poll": poll["median_latency_s"],
            "notify": notify["median_latency_s"],
        },
        "median_waiting_s": {
            "poll": poll["median_waiting_s"],
            "notify": notify["median_waiting_s"],
        },
        **summaries,
    }


@contextlib.contextmanager
def _private_database(server: str) -> Iterator[str]:
    """A new, migrated database on the server, dropped afterwards."""
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"pathsentry_bench_{secrets.token_hex(4)}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@contextlib.contextmanager
def _children(root: Path, poll_s: float, url: str, *, listen: bool) -> Iterator[None]:
    """The analysis and export roles in a process each; stopped when stdin closes."""
    children = []
    for role in ("analysis", "export"):
        command = [sys.executable, __file__, "--role", role, "--root", str(root)]
        command += ["--poll", str(poll_s), "--url", url, *(["--listen"] if listen else [])]
        child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        children.append(child)
    try:
        for child in children:
            assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        yield
    finally:
        for child in children:
            assert child.stdin is not None
            child.stdin.close()
            child.wait(60)


def _child(role: str, settings: Settings, *, listen: bool) -> None:
    """One role's loop, woken by this process's commits and, with `listen`, by NOTIFY."""
    database = connect(settings.database_url)
    wakeup = Wakeup()
    wakeup.listen(database)
    part: WorkerPool | ExportService
    if role == "analysis":
        pipeline = SlidePipeline(settings)
        pipeline.engine("cpu")  # the model loaded before the first slide, as `serve` does
        part = WorkerPool(database, pipeline, settings, devices=["cpu"], wakeup=wakeup)
        part.start(take_over_running=False)
    else:
        part = ExportService(database, settings, wakeup=wakeup)
        part.start(take_over_claimed=False)
    listener = Listener(wakeup, database, retry_s=settings.jobs.poll_interval_s)
    if listen:
        listener.start()
    print("ready", flush=True)
    sys.stdin.read()  # until the parent closes it
    listener.stop(10)
    part.stop(60)
    database.dispose()


def _settings(root: Path, poll_s: float, url: str = "") -> Settings:
    share = root / "share"
    return Settings(
        db=DbSettings(url=url),
        storage=StorageSettings(data_dir=root / "data"),
        dicom=DicomSettings(host="127.0.0.1", port=_free_port()),
        web=WebSettings(host="127.0.0.1", port=_free_port()),
        jobs=JobSettings(poll_interval_s=poll_s),
        export=ExportSettings(
            destinations=[FolderDestination(kind="folder", name="share", path=share)]
        ),
    )


def _round(dicom_port: int, database: Database, slide: Path, folder: Path) -> dict[str, float]:
    files = _with_fresh_uids(slide, folder)
    share = folder.parent / "share"
    before = set(share.iterdir())
    command = [
        STORESCU,
        "-R",
        "-xy",
        "-aec",
        "PATHSENTRY",
        "127.0.0.1",
        str(dicom_port),
        *files,
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    sent = time.monotonic()
    sr = _wait_for_sr(share, before)
    latency = time.monotonic() - sent
    job_s = _job_seconds(database, str(dcmread(sr, stop_before_pixels=True).SOPInstanceUID))
    return {"latency_s": latency, "job_s": job_s, "waiting_s": latency - job_s}


def _with_fresh_uids(slide: Path, folder: Path) -> list[str]:
    """The slide's files as a new study and series (the service ignores a resent slide)."""
    folder.mkdir(parents=True)
    study, series = generate_uid(), generate_uid()
    paths = []
    for path in sorted(slide.glob("*.dcm")):
        dataset = dcmread(path)
        dataset.StudyInstanceUID, dataset.SeriesInstanceUID = study, series
        dataset.SOPInstanceUID = dataset.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        dataset.save_as(folder / path.name, enforce_file_format=True)
        paths.append(str(folder / path.name))
    return paths


def _wait_for_sr(share: Path, before: set[Path]) -> Path:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        for path in set(share.glob("*.dcm")) - before:
            if dcmread(path, stop_before_pixels=True).Modality == "SR":
                return path
        time.sleep(0.005)
    raise TimeoutError("no SR was delivered within 10 minutes")


def _job_seconds(database: Database, sr_uid: str) -> float:
    with database.session() as session:
        query = sa.select(Job).join(Result).where(Result.sr_sop_instance_uid == sr_uid)
        job = session.scalars(query).one()
        assert job.started_at is not None and job.finished_at is not None
        return (job.finished_at - job.started_at).total_seconds()


def _summary(rounds: list[dict[str, float]], poll_s: float) -> dict[str, Any]:
    def median(key: str) -> float:
        return round(statistics.median(r[key] for r in rounds), 3)

    return {
        "poll_interval_s": poll_s,
        "rounds": len(rounds),
        "median_latency_s": median("latency_s"),
        "median_job_s": median("job_s"),
        "median_waiting_s": median("waiting_s"),
        "latencies_s": [round(r["latency_s"], 3) for r in rounds],
        "python": sys.version.split()[0],
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


if __name__ == "__main__":
    main()
