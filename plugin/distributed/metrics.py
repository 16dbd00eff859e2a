"""The broker's reachability, read when Prometheus scrapes a serve role's /metrics."""

from collections.abc import Iterable

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from plugin.distributed.publisher import JobPublisher


class BrokerCollector(Collector):
    """`pathsentry_broker_up`: 1 when the broker accepts a connection."""

    def __init__(self, publisher: JobPublisher) -> None:
        self._publisher = publisher

    def collect(self) -> Iterable[Metric]:
        up = 1.0 if self._publisher.reachable() else 0.0
        yield GaugeMetricFamily("pathsentry_broker_up", "Broker reachable", value=up)
