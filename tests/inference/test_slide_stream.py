"""The benchmark's stream of slides: every slide prepared outside its turn, run one at a time."""

import itertools
import threading
import time

import pytest

from inference.engine import Engine, SlidePlan
from inference.errors import InferenceError
from inference.results import SlideInference
from inference.slide_stream import time_stream
from inference.source import RegionSource
from tests.inference.fixtures import options, slide, tiny_deeplab


class _Recorded(Engine):
    """The engine, noting when each run held the device and whether it came prepared."""

    def __init__(self) -> None:
        super().__init__(tiny_deeplab(), options())
        self.runs: list[tuple[float, float, bool]] = []
        self.threads: set[str] = set()

    def run(
        self, source: RegionSource, progress: object = None, plan: SlidePlan | None = None
    ) -> SlideInference:
        started = time.perf_counter()
        result = super().run(source, plan=plan)
        self.runs.append((started, time.perf_counter(), plan is not None))
        self.threads.add(threading.current_thread().name)
        return result


def test_every_slide_is_prepared_first_and_run_alone() -> None:
    engine = _Recorded()
    seconds = time_stream(engine, slide(), slides=4, in_flight=2)
    assert len(engine.runs) == 4
    assert all(prepared for _start, _end, prepared in engine.runs)
    runs = sorted(engine.runs)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(runs))  # turns never overlap
    assert seconds >= sum(end - start for start, end, _ in runs)
    assert engine.threads == {"stream-0", "stream-1"}


class _Failing(Engine):
    def run(
        self, source: RegionSource, progress: object = None, plan: SlidePlan | None = None
    ) -> SlideInference:
        raise InferenceError("the device failed")


def test_a_failed_run_stops_the_stream_and_is_raised() -> None:
    engine = _Failing(tiny_deeplab(), options())
    with pytest.raises(InferenceError, match="the device failed"):
        time_stream(engine, slide(), slides=3, in_flight=2)
