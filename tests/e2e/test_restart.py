"""A restart in the middle of an analysis, as a real process: killed outright or stopped
gracefully, the service resumes the job and the PACS gets exactly one SEG and one SR."""

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from db.models import ExportState, Job, JobState, Result
from db.session import connect
from plugin.tools.demo import free_port
from tests.e2e.harness import (
    PATHSENTRY_AE,
    E2eSlide,
    forward,
    make_slide,
    results_in_pacs,
    upload,
    wait_until,
)
from tests.orthanc import OrthancServer

pytestmark = [pytest.mark.orthanc, pytest.mark.slow]


@dataclass
class ServeProcess:
    """`pathsentry serve` running as its own process, configured through the environment."""

    data_dir: Path
    dicom_port: int
    web_port: int
    pacs: OrthancServer
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        destination = {
            "kind": "dimse",
            "name": "orthanc",
            "ae_title": self.pacs.ae_title,
            "host": self.pacs.host,
            "port": self.pacs.dicom_port,
        }
        env = {
            **os.environ,
            "PATHSENTRY_STORAGE__DATA_DIR": str(self.data_dir),
            "PATHSENTRY_DICOM__HOST": "127.0.0.1",
            "PATHSENTRY_DICOM__PORT": str(self.dicom_port),
            "PATHSENTRY_WEB__PORT": str(self.web_port),
            "PATHSENTRY_INFERENCE__DEVICE": "cpu",
            "PATHSENTRY_EXPORT__DESTINATIONS": json.dumps([destination]),
        }
        log = (self.data_dir.parent / "serve.log").open("ab")
        command = [sys.executable, "-c", "from plugin.cli import main; main()", "serve"]
        self.process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
        wait_until(self._healthy, "the service to start", timeout_s=120)

    def _healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            log = (self.data_dir.parent / "serve.log").read_text(errors="replace")
            raise AssertionError(f"serve exited with {self.process.returncode}:\n{log[-3000:]}")
        try:
            return httpx.get(f"http://127.0.0.1:{self.web_port}/healthz").status_code == 200
        except httpx.TransportError:
            return False

    def stop(self, how: signal.Signals) -> int:
        """Send `how`; return the exit status."""
        assert self.process is not None
        self.process.send_signal(how)
        return self.process.wait(timeout=120)


@pytest.fixture(scope="module")
def slides(tmp_path_factory: pytest.TempPathFactory) -> list[E2eSlide]:
    folder = tmp_path_factory.mktemp("slides")
    return [
        make_slide(folder / "malignant", "malignant", 9601, "E2E-R1"),
        make_slide(folder / "benign", "benign", 9602, "E2E-R2"),
    ]


@pytest.fixture
def service(tmp_path: Path, slides: list[E2eSlide]) -> Iterator[ServeProcess]:
    port = free_port()
    peers = {"pathsentry": (PATHSENTRY_AE, "127.0.0.1", port)}
    with OrthancServer(tmp_path / "pacs", modalities=peers) as pacs:
        for slide in slides:
            upload(pacs, slide)
        serve = ServeProcess(tmp_path / "data", port, free_port(), pacs)
        try:
            yield serve
        finally:
            if serve.process is not None and serve.process.poll() is None:
                serve.process.kill()
                serve.process.wait()


def jobs(data_dir: Path) -> list[Job]:
    database = connect(f"sqlite:///{data_dir / 'pathsentry.db'}")
    try:
        with database.session() as session:
            found = list(session.scalars(sa.select(Job).order_by(Job.id)))
            session.expunge_all()
            return found
    finally:
        database.dispose()


def results_and_exports(data_dir: Path) -> tuple[int, list[ExportState]]:
    database = connect(f"sqlite:///{data_dir / 'pathsentry.db'}")
    try:
        with database.session() as session:
            results = list(session.scalars(sa.select(Result)))
            return len(results), [e.state for r in results for e in r.exports]
    finally:
        database.dispose()


def analysing(data_dir: Path) -> bool:
    """Whether a job is running and past the start of its analysis."""
    if not (data_dir / "pathsentry.db").exists():
        return False
    return any(job.state is JobState.RUNNING and job.progress > 0.05 for job in jobs(data_dir))


def delivered(data_dir: Path, count: int) -> bool:
    results, states = results_and_exports(data_dir)
    return results == count and states == [ExportState.DELIVERED] * count


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["killed", "stopped"])
def test_a_restart_mid_analysis_yields_exactly_one_seg_and_sr_per_slide(
    service: ServeProcess, slides: list[E2eSlide], how: signal.Signals
) -> None:
    service.start()
    for slide in slides:
        forward(service.pacs, "pathsentry", slide)
    wait_until(lambda: analysing(service.data_dir), "an analysis to be under way")
    status = service.stop(how)
    if how is signal.SIGTERM:
        assert status == 0
        interrupted = [job for job in jobs(service.data_dir) if job.state is JobState.QUEUED]
        assert interrupted, "a graceful stop puts the running job back in the queue"
    service.start()
    wait_until(lambda: delivered(service.data_dir, len(slides)), "every result to be delivered")
    assert service.stop(signal.SIGTERM) == 0
    final = jobs(service.data_dir)
    assert [job.state for job in final] == [JobState.DONE] * len(slides)
    for slide in slides:
        stored = results_in_pacs(service.pacs, slide.study_uid)
        assert len(stored.reports) == 1, stored
        assert len(stored.seg_series) == 1, stored
        assert len(set(stored.segmentations)) == len(stored.segmentations)
