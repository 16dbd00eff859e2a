"""Small pipelines that exercise the worker's mechanics (claiming, retries, cancel, stop)."""

import threading
from dataclasses import dataclass, field

from db.results import UnjudgedValues
from plugin.analysis import JobContext, JobFailedError, JobOutcome, NotEvaluable
from tests.db.factories import result_values, unjudged_values


@dataclass
class Scripted:
    """Returns a result of `score` after reporting progress; records what it saw."""

    score: float = 0.7
    seen: list[JobContext] = field(default_factory=list)

    def __call__(self, context: JobContext) -> JobOutcome:
        self.seen.append(context)
        context.progress(0.5, "inferring")
        return result_values(self.score)


@dataclass
class Failing:
    """Raises `error` every time."""

    error: Exception

    def __call__(self, context: JobContext) -> JobOutcome:
        raise self.error


@dataclass
class FailingReported(Failing):
    """Raises `error` every time, and hands back a "failed" report when asked for one (the
    reasons it was asked with are kept); `broken`: writing the report raises that instead."""

    reasons: list[str] = field(default_factory=list)
    broken: Exception | None = None

    def failure_report(self, context: JobContext, reason: str) -> UnjudgedValues | None:
        self.reasons.append(reason)
        if self.broken is not None:
            raise self.broken
        return unjudged_values()


def not_evaluable(context: JobContext) -> JobOutcome:
    """Finds no tissue."""
    return NotEvaluable("no tissue found on the slide")


def not_evaluable_reported(context: JobContext) -> JobOutcome:
    """Finds no tissue, and hands back the report that says so."""
    return NotEvaluable("no tissue found on the slide", unjudged_values())


def permanently_broken(context: JobContext) -> JobOutcome:
    """Fails in a way that retrying cannot fix."""
    raise JobFailedError("the slide has no pyramid level at 20x or finer")


@dataclass
class Endless:
    """Reports progress until told to stop from outside (cancel or worker stop)."""

    started: threading.Event = field(default_factory=threading.Event)

    def __call__(self, context: JobContext) -> JobOutcome:
        step = 0
        while True:
            context.progress(min(step / 1000, 0.99), f"tile {step}")
            self.started.set()
            step += 1
            threading.Event().wait(0.01)
