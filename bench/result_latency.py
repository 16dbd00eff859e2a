"""Result latency: from the last C-STORE of a slide acknowledged to its SR delivered.

The whole service runs in this process (its defaults: the demo model on the CPU, SQLite, one
worker, polls every `jobs.poll_interval_s`) with a folder as the export destination. dcmtk's
storescu sends a small synthetic slide, each round under fresh UIDs; the clock starts when
storescu returns (every instance acknowledged, the association released) and stops when the
SR file appears in the destination folder. The job's own time (claim to result) is read from
the database, so that the rest, the time spent waiting for a worker or an exporter to look,
shows apart. Prints one JSON object with the medians.

Usage: PYTHONPATH=. python bench/result_latency.py [--rounds 7] [--poll 1.0]
Run it on a tree without wake-ups (PYTHONPATH=<that tree>) to compare.
"""

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pydicom import dcmread
from pydicom.uid import generate_uid

from config import ExportSettings, JobSettings, Settings, StorageSettings, WebSettings
from config.settings import DicomSettings, FolderDestination
from db.models import Job, Result
from plugin.service import Service, start_service
from plugin.tools.synthetic_slide import SyntheticSlideRequest, write_synthetic_slide

STORESCU = "/usr/bin/storescu"  # dcmtk's, not the venv's pynetdicom script of the same name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--poll", type=float, default=1.0, help="jobs.poll_interval_s")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pathsentry-latency-") as scratch:
        root = Path(scratch)
        slide = root / "slide"
        write_synthetic_slide(
            slide, SyntheticSlideRequest("malignant", 3, 600, 500, tile_size=256, case="BENCH")
        )
        share = root / "share"
        share.mkdir()
        service = start_service(_settings(root, share, args.poll))
        try:
            folders = [root / f"round-{number}" for number in range(args.rounds)]
            rounds = [_round(service, slide, folder, share) for folder in folders]
        finally:
            service.stop()
    print(json.dumps(_summary(rounds, args.poll), indent=2))


def _settings(root: Path, share: Path, poll_s: float) -> Settings:
    return Settings(
        storage=StorageSettings(data_dir=root / "data"),
        dicom=DicomSettings(host="127.0.0.1", port=_free_port()),
        web=WebSettings(host="127.0.0.1", port=_free_port()),
        jobs=JobSettings(poll_interval_s=poll_s),
        export=ExportSettings(
            destinations=[FolderDestination(kind="folder", name="share", path=share)]
        ),
    )


def _round(service: Service, slide: Path, folder: Path, share: Path) -> dict[str, float]:
    files = _with_fresh_uids(slide, folder)
    before = set(share.iterdir())
    command = [
        STORESCU,
        "-R",
        "-xy",
        "-aec",
        "PATHSENTRY",
        "127.0.0.1",
        str(service.dicom_port),
        *files,
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    sent = time.monotonic()
    sr = _wait_for_sr(share, before)
    latency = time.monotonic() - sent
    job_s = _job_seconds(service, str(dcmread(sr, stop_before_pixels=True).SOPInstanceUID))
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


def _job_seconds(service: Service, sr_uid: str) -> float:
    with service.database.session() as session:
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
