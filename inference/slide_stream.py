"""Slides one after another as the service runs them, for the benchmark's throughput figure.

`inference.slides_in_flight` jobs share a device: each prepares its slide (planning, tissue,
quality gate) freely and takes its turn on the device to run it, so the device goes from one
slide to the next while the next one's preparation overlaps this one's run (as
`plugin.analysis.pipeline` does, without the outputs written after the turn).
"""

import queue
import threading
import time

from inference.engine import Engine
from inference.source import RegionSource


def time_stream(engine: Engine, source: RegionSource, slides: int, in_flight: int) -> float:
    """Seconds from the first slide's preparation to the last one's result.

    The slide is analysed `slides` times by `in_flight` threads that take turns on the engine.
    """
    jobs: queue.SimpleQueue[int] = queue.SimpleQueue()
    for job in range(slides):
        jobs.put(job)
    turn = threading.Lock()
    errors: list[BaseException] = []

    def work() -> None:
        while not errors:
            try:
                jobs.get_nowait()
            except queue.Empty:
                return
            try:
                plan = engine.prepare(source)
                with turn:
                    engine.run(source, plan=plan)
            except BaseException as error:  # noqa: BLE001 - raised by the caller
                errors.append(error)

    threads = [threading.Thread(target=work, name=f"stream-{n}") for n in range(in_flight)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - started
