"""Prometheus metrics of one service instance, in a registry of its own (never the global one)."""

import logging
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from db import exports, jobs
from db.models import JobState, utcnow
from db.results import ResultValues, count_quality_outcomes
from db.session import Database
from plugin.version import service_version

log = logging.getLogger(__name__)

DURATION_BUCKETS = (1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)


class WorkerProbe(Protocol):
    """What health checks and metrics need to know about a worker."""

    @property
    def name(self) -> str: ...

    @property
    def alive(self) -> bool: ...


class IngestMetrics:
    """What the DICOM listener did: associations, instances, bytes and C-STORE statuses
    (the storage SCP's IngestObserver)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.associations_accepted = Counter(
            "pathsentry_dicom_associations_accepted",
            "Associations the DICOM listener accepted",
            registry=registry,
        )
        self.associations_refused = Counter(
            "pathsentry_dicom_associations_refused",
            "Connections and associations the DICOM listener refused, by reason",
            ["reason"],
            registry=registry,
        )
        self.instances_received = Counter(
            "pathsentry_dicom_instances_received",
            "C-STORE data sets received whole (stored or refused after reading)",
            registry=registry,
        )
        self.received_bytes = Counter(
            "pathsentry_dicom_received_bytes",
            "Bytes of the C-STORE data sets received whole",
            registry=registry,
        )
        self.store_responses = Counter(
            "pathsentry_dicom_store_responses",
            "C-STORE responses by status code (0x0000 success, 0xA900 refused data, ...)",
            ["status"],
            registry=registry,
        )

    def association_accepted(self) -> None:
        self.associations_accepted.inc()

    def association_refused(self, reason: str) -> None:
        self.associations_refused.labels(reason=reason).inc()

    def instance_received(self, size_bytes: int) -> None:
        self.instances_received.inc()
        self.received_bytes.inc(size_bytes)

    def store_answered(self, status: int) -> None:
        self.store_responses.labels(status=f"0x{status:04X}").inc()


class ServiceMetrics:
    """Job durations and inference throughput (observed), queue and exports (read at scrape)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._watching = False
        self.ingest = IngestMetrics(self.registry)
        self.job_duration = Histogram(
            "pathsentry_job_duration_seconds",
            "Wall time of one job attempt, from claim to outcome",
            ["outcome"],
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self.inference_pixels = Counter(
            "pathsentry_inference_pixels",
            "Pixels analysed by the network (at the analysis resolution)",
            registry=self.registry,
        )
        self.inference_seconds = Counter(
            "pathsentry_inference_seconds",
            "Seconds spent analysing; rate(pixels) / rate(seconds) is the throughput",
            registry=self.registry,
        )
        self.slides_analysed = Counter(
            "pathsentry_slides_analysed", "Slides with a recorded result", registry=self.registry
        )
        self.last_throughput = Gauge(
            "pathsentry_inference_throughput_pixels_per_second",
            "Throughput of the most recently analysed slide",
            registry=self.registry,
        )
        self.build = Info(
            "pathsentry_build",
            "The running version, and the model and weights (sha256) that analyse slides",
            registry=self.registry,
        )
        self.describe_model(model="", weights_sha256="")

    def describe_model(self, *, model: str, weights_sha256: str) -> None:
        """Name the loaded model in `pathsentry_build_info` (empty where no model runs)."""
        self.build.info(
            {"version": service_version(), "model": model, "weights_sha256": weights_sha256}
        )

    def observe_job(self, outcome: str, duration_s: float, result: ResultValues | None) -> None:
        """Record one finished attempt (and its throughput, when it produced a result).

        `outcome`: the job's state after the attempt (done, failed, not_evaluable, cancelled), or
        `retried` (it failed and will be tried again) or `released` (given back unspent).
        """
        self.job_duration.labels(outcome=outcome).observe(duration_s)
        if result is None:
            return
        self.slides_analysed.inc()
        if result.analysed_pixels and result.inference_seconds:
            self.inference_pixels.inc(result.analysed_pixels)
            self.inference_seconds.inc(result.inference_seconds)
            self.last_throughput.set(result.analysed_pixels / result.inference_seconds)

    def watch(
        self,
        database: Database,
        workers: Sequence[WorkerProbe] | None,
        storage: Path | None = None,
    ) -> None:
        """Read queue, exports, worker liveness and the free space of `storage` at each scrape
        (registered once per registry)."""
        if not self._watching:
            self.registry.register(_StateCollector(database, workers, storage))
            self._watching = True

    def render(self) -> bytes:
        """The metrics in the Prometheus text format."""
        return generate_latest(self.registry)


class _StateCollector(Collector):
    """Gauges read from the database when Prometheus scrapes."""

    def __init__(
        self, database: Database, workers: Sequence[WorkerProbe] | None, storage: Path | None
    ) -> None:
        self._database = database
        self._workers = workers
        self._storage = storage

    def collect(self) -> Iterable[Metric]:
        if self._workers is not None:
            alive = sum(1 for worker in self._workers if worker.alive)
            yield GaugeMetricFamily("pathsentry_workers_alive", "Workers running", value=alive)
        if self._storage is not None:
            yield from self._free_space(self._storage)
        try:
            yield from self._from_database()
            up = 1.0
        except SQLAlchemyError as error:
            log.warning("metrics: cannot read the database: %s", type(error).__name__)
            up = 0.0
        yield GaugeMetricFamily("pathsentry_database_up", "Database reachable", value=up)

    def _from_database(self) -> list[Metric]:
        with self._database.session() as session:
            job_counts = jobs.count_by_state(session)
            export_counts = exports.count_by_state(session)
            failures = exports.failed_attempts(session)
            overdue = exports.overdue_by_destination(session)
            oldest = jobs.oldest_queued_at(session)
            quality = count_quality_outcomes(session)
        depth = GaugeMetricFamily(
            "pathsentry_queue_depth", "Jobs waiting for a worker", value=job_counts[JobState.QUEUED]
        )
        by_state = GaugeMetricFamily("pathsentry_jobs", "Jobs by state", labels=["state"])
        for state, count in job_counts.items():
            by_state.add_metric([state.value], count)
        export_gauge = GaugeMetricFamily("pathsentry_exports", "Exports by state", labels=["state"])
        for export_state, count in export_counts.items():
            export_gauge.add_metric([export_state.value], count)
        failed = CounterMetricFamily(
            "pathsentry_export_failures", "Failed export attempts", value=failures
        )
        overdue_gauge = GaugeMetricFamily(
            "pathsentry_exports_overdue",
            "Exports whose export.max_attempts are used up and that are still retried, per "
            "destination (alert when above 0: the destination has refused or been down for long)",
            labels=["destination"],
        )
        for destination, count in sorted(overdue.items()):
            overdue_gauge.add_metric([destination], count)
        waited = (utcnow() - oldest).total_seconds() if oldest is not None else 0.0
        age = GaugeMetricFamily(
            "pathsentry_oldest_queued_job_age_seconds",
            "How long the job waiting longest for a worker has waited (0: none waits)",
            value=max(waited, 0.0),
        )
        gate = CounterMetricFamily(
            "pathsentry_quality_outcomes",
            "Results by the quality gate's outcome (clean, excluded: scored without some tissue, "
            "not_evaluable) and main reason in words (out of focus, pen ink, no tissue, none)",
            labels=["outcome", "reason"],
        )
        for (outcome, reason), count in sorted(quality.items()):
            gate.add_metric([outcome, reason], count)
        return [depth, by_state, export_gauge, failed, overdue_gauge, age, gate]

    def _free_space(self, storage: Path) -> list[Metric]:
        try:
            usage = shutil.disk_usage(storage)
        except OSError as error:
            log.warning("metrics: cannot read the free space of %s: %s", storage, error.strerror)
            return []
        return [
            GaugeMetricFamily(
                "pathsentry_storage_free_bytes",
                "Free space on the volume of the storage folder (storage.data_dir)",
                value=usage.free,
            ),
            GaugeMetricFamily(
                "pathsentry_storage_size_bytes",
                "Size of the volume of the storage folder",
                value=usage.total,
            ),
        ]
