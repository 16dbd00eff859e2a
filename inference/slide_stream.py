"""Slides one after another as the service runs them, for the benchmarks' throughput figures.

`inference.slides_in_flight` jobs share a device: each prepares its slide (planning, tissue,
quality gate) freely and takes its turn on the device to run it, so the device goes from one
slide to the next while the next one's preparation overlaps this one's run (as
`plugin.analysis.pipeline` does, without the outputs written after the turn).
"""

import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from inference.engine import Engine
from inference.source import RegionSource

Job = TypeVar("Job")


def time_stream(engine: Engine, source: RegionSource, slides: int, in_flight: int) -> float:
    """Seconds from the first slide's preparation to the last one's result.

    The slide is analysed `slides` times by `in_flight` threads that take turns on the engine.
    """
    turn = threading.Lock()

    def analyse(_job: int) -> None:
        plan = engine.prepare(source)
        with turn:
            engine.run(source, plan=plan)

    return time_jobs(range(slides), in_flight, analyse)


def time_jobs(jobs: Sequence[Job], in_flight: int, work: Callable[[Job], object]) -> float:
    """Seconds for `work` on every job, taken in order by `in_flight` threads (as a worker
    pool takes them); the first error stops the threads taking more and is raised."""
    waiting: queue.SimpleQueue[Job] = queue.SimpleQueue()
    for job in jobs:
        waiting.put(job)
    errors: list[BaseException] = []

    def take() -> None:
        while not errors:
            try:
                job = waiting.get_nowait()
            except queue.Empty:
                return
            try:
                work(job)
            except BaseException as error:  # noqa: BLE001 - raised by the caller
                errors.append(error)

    threads = [threading.Thread(target=take, name=f"stream-{n}") for n in range(in_flight)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - started
