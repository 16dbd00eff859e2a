"""Two jobs on one device: the second opens its slide and finds its tissue while the first runs,
then waits for the device (still cancellable), and both give what they give alone."""

import dataclasses
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from db.results import ResultValues
from plugin.analysis import JobCancelledError, JobContext, JobOutcome
from plugin.analysis.pipeline import SlidePipeline
from tests.plugin.conftest import Analysed
from tests.plugin.slides import job_context, service_settings

WAITING = "waiting for the device"


class Held:
    """A job whose progress blocks inside the model run until `release` is set."""

    def __init__(self, context: JobContext) -> None:
        self.inside = threading.Event()
        self.release = threading.Event()
        self.stages: list[str] = []
        self.context = dataclasses.replace(context, report=self._report)

    def _report(self, fraction: float, stage: str) -> None:
        self.stages.append(stage)
        if stage == "analysing" and fraction > 0.02:
            self.inside.set()
            assert self.release.wait(60)


class Waiting:
    """A job that records its stages, and is cancelled once it waits for the device if asked."""

    def __init__(self, context: JobContext, cancel: bool) -> None:
        self.stages: list[str] = []
        self.waited = threading.Event()
        self._cancel = cancel
        self.context = dataclasses.replace(context, job_id=2, report=self._report)

    def _report(self, fraction: float, stage: str) -> None:
        self.stages.append(stage)
        if stage == WAITING:
            self.waited.set()
            if self._cancel:
                raise JobCancelledError("cancelled while waiting")


@pytest.mark.timeout(300)
def test_the_next_job_prepares_while_one_runs_then_takes_its_turn(
    analysed: Analysed, slide: Path, weights: Path, tmp_path: Path
) -> None:
    expected, _, _ = analysed
    pipeline = SlidePipeline(service_settings(tmp_path, weights))
    first, second = Held(job_context(slide)), Waiting(job_context(slide), cancel=False)
    with ThreadPoolExecutor(2) as pool:
        running = pool.submit(pipeline, first.context)
        assert first.inside.wait(120)
        waiting = pool.submit(pipeline, second.context)
        assert second.waited.wait(120)  # prepared, then waits: the device is the first job's
        assert "analysing" in second.stages and second.stages[-1] == WAITING
        first.release.set()
        outcomes: list[JobOutcome] = [running.result(120), waiting.result(120)]
    for outcome in outcomes:
        assert isinstance(outcome, ResultValues)
        assert outcome.score == expected.score
        assert len(outcome.files) == len(expected.files)


@pytest.mark.timeout(300)
def test_a_job_waiting_for_the_device_can_be_cancelled_and_frees_nothing_it_holds(
    analysed: Analysed, slide: Path, weights: Path, tmp_path: Path
) -> None:
    expected, _, _ = analysed
    pipeline = SlidePipeline(service_settings(tmp_path, weights))
    first, second = Held(job_context(slide)), Waiting(job_context(slide), cancel=True)
    with ThreadPoolExecutor(2) as pool:
        running = pool.submit(pipeline, first.context)
        assert first.inside.wait(120)
        with pytest.raises(JobCancelledError):
            pool.submit(pipeline, second.context).result(120)
        first.release.set()
        outcome = running.result(120)
    assert isinstance(outcome, ResultValues) and outcome.score == expected.score
    again = pipeline(job_context(slide))  # the device's turn was given back
    assert isinstance(again, ResultValues) and again.score == expected.score
