"""Many machines, played by processes on this one: `serve --roles ingest,web,export`, two
`pathsentry worker`s, PostgreSQL, a broker and Orthanc. Every slide gets exactly one SEG
series and one SR whatever fails: a worker killed mid-analysis, or the broker down while
slides arrive."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from db.models import JobState
from tests.db.fixtures import new_postgres_database
from tests.e2e.distributed import RABBITMQ, Installation, require_rabbitmq
from tests.e2e.harness import E2eSlide, make_slide, results_in_pacs, wait_until
from tests.orthanc import OrthancServer
from tests.plugin.slides import tiny_model
from tests.redis_server import RedisServer

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.orthanc]


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_model(tmp_path_factory.mktemp("model") / "tiny.safetensors")


@pytest.fixture(scope="module")
def slides(tmp_path_factory: pytest.TempPathFactory) -> list[E2eSlide]:
    folder = tmp_path_factory.mktemp("slides")
    kinds = ["malignant", "benign"] * 3
    return [
        make_slide(folder / f"slide-{n}", kind, 9700 + n, f"E2E-D{n}")
        for n, kind in enumerate(kinds)
    ]


@pytest.fixture
def pacs(tmp_path: Path) -> Iterator[OrthancServer]:
    with OrthancServer(tmp_path / "pacs") as server:
        yield server


@pytest.fixture
def database_url() -> Iterator[str]:
    with new_postgres_database("pathsentry_e2e") as url:
        yield url


def _installation(
    tmp_path: Path, database_url: str, broker_url: str, pacs: OrthancServer, weights: Path
) -> Installation:
    return Installation(tmp_path / "site", database_url, broker_url, pacs, weights)


def _assert_one_result_set_each(pacs: OrthancServer, slides: list[E2eSlide]) -> None:
    for slide in slides:
        stored = results_in_pacs(pacs, slide.study_uid)
        assert len(stored.reports) == 1, stored
        assert len(stored.seg_series) == 1, stored
        assert len(set(stored.segmentations)) == len(stored.segmentations), stored


def test_two_workers_share_the_slides_and_each_gets_one_seg_and_one_sr(
    tmp_path: Path,
    database_url: str,
    pacs: OrthancServer,
    weights: Path,
    slides: list[E2eSlide],
) -> None:
    require_rabbitmq()
    site = _installation(tmp_path, database_url, RABBITMQ, pacs, weights)
    site.folder.mkdir()
    try:
        site.serve()
        site.worker("worker-1")
        site.worker("worker-2")
        sent = site.send(slides)
        assert sent.returncode == 0, sent.stderr
        wait_until(lambda: site.delivered(len(slides)), "every result to be delivered")
        jobs = site.jobs()
        assert [job.state for job in jobs] == [JobState.DONE] * len(slides)
        assert len({job.worker for job in jobs}) == 2, [job.worker for job in jobs]
        _assert_one_result_set_each(pacs, slides)
    finally:
        site.stop()


def test_a_worker_killed_mid_analysis_leaves_its_job_to_the_other(
    tmp_path: Path,
    database_url: str,
    pacs: OrthancServer,
    weights: Path,
    slides: list[E2eSlide],
) -> None:
    require_rabbitmq()
    site = _installation(tmp_path, database_url, RABBITMQ, pacs, weights)
    site.stale_after_s = 8.0
    site.folder.mkdir()
    chosen = slides[:2]
    try:
        site.serve()
        workers = {node.pid: node for node in (site.worker("worker-1"), site.worker("worker-2"))}
        assert site.send(chosen).returncode == 0
        wait_until(lambda: _analysing(site) is not None, "an analysis to be under way")
        victim = _analysing(site)
        assert victim is not None
        job_id, pid = victim
        workers[pid].kill()
        wait_until(lambda: site.delivered(len(chosen)), "every result to be delivered")
        jobs = {job.id: job for job in site.jobs()}
        assert [job.state for job in jobs.values()] == [JobState.DONE] * len(chosen)
        # The killed worker's attempt is given back and counted as a crash, not the slide's fault.
        assert (jobs[job_id].attempts, jobs[job_id].crashes) == (1, 1)
        worker = jobs[job_id].worker
        assert worker is not None and f":{pid}:" not in worker
        _assert_one_result_set_each(pacs, chosen)
    finally:
        site.stop()


def test_slides_that_arrive_while_the_broker_is_down_are_analysed_when_it_returns(
    tmp_path: Path,
    database_url: str,
    pacs: OrthancServer,
    weights: Path,
    slides: list[E2eSlide],
) -> None:
    chosen = slides[:3]
    with RedisServer(tmp_path / "redis") as broker:
        site = _installation(tmp_path, database_url, broker.url, pacs, weights)
        site.folder.mkdir()
        try:
            site.serve()
            site.worker("worker-1")
            broker.stop()
            sent = site.send(chosen)
            assert sent.returncode == 0, sent.stderr  # every instance acknowledged
            wait_until(
                lambda: [job.state for job in site.jobs()] == [JobState.QUEUED] * len(chosen),
                "every slide to have a queued job",
            )
            broker.start()
            wait_until(lambda: site.delivered(len(chosen)), "every result to be delivered")
            assert [job.state for job in site.jobs()] == [JobState.DONE] * len(chosen)
            _assert_one_result_set_each(pacs, chosen)
        finally:
            site.stop()


def _analysing(site: Installation) -> tuple[int, int] | None:
    """(job id, worker pid) of a job running and past the start of its analysis."""
    for job in site.jobs():
        if job.state is JobState.RUNNING and job.progress > 0.05 and job.worker:
            return job.id, int(job.worker.split(":")[1])
    return None
