"""The listener's metrics count what happened: associations accepted and refused (by reason),
instances and bytes received, and C-STORE statuses."""

from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from dicom.scp import StoreStatus
from plugin.metrics import IngestMetrics, ServiceMetrics
from plugin.tools.synthetic_slide import SyntheticSlide
from tests.dicom.scp.instances import rewrite, without
from tests.plugin.ingest.conftest import StartIngest
from tests.plugin.ingest.senders import send


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


def _value(metrics: IngestMetrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


def test_instances_bytes_and_statuses_are_counted(
    start: StartIngest, slide: SyntheticSlide, tmp_path: Path
) -> None:
    metrics = IngestMetrics(CollectorRegistry())
    ingest = start(metrics=metrics)
    bad = rewrite(slide.levels[3], tmp_path / "bad.dcm", without("SeriesInstanceUID"))
    codes = send(ingest.port, [slide.levels[2], slide.levels[3], bad]).codes
    assert codes == [0, 0, StoreStatus.DATA_SET_DOES_NOT_MATCH]
    stored = ingest.files()[1]
    assert _value(metrics, "pathsentry_dicom_associations_accepted_total") == 1
    assert _value(metrics, "pathsentry_dicom_instances_received_total") == 3
    received = _value(metrics, "pathsentry_dicom_received_bytes_total")
    assert received > sum(path.stat().st_size for path in stored) > 0
    assert _value(metrics, "pathsentry_dicom_store_responses_total", status="0x0000") == 2
    assert _value(metrics, "pathsentry_dicom_store_responses_total", status="0xA900") == 1


def test_refused_associations_are_counted_by_reason(
    start: StartIngest, slide: SyntheticSlide
) -> None:
    metrics = IngestMetrics(CollectorRegistry())
    ingest = start(metrics=metrics, allowed_calling_ae_titles=["SCANNER1"])
    assert not send(ingest.port, [slide.levels[3]], calling="INTRUDER").established
    assert not send(ingest.port, [slide.levels[3]], called="ELSEWHERE").established
    name = "pathsentry_dicom_associations_refused_total"
    assert _value(metrics, name, reason="calling_ae_title") == 1
    assert _value(metrics, name, reason="called_ae_title") == 1
    assert _value(metrics, "pathsentry_dicom_associations_accepted_total") == 0


def test_the_service_metrics_expose_the_listener(start: StartIngest, slide: SyntheticSlide) -> None:
    metrics = ServiceMetrics()
    ingest = start(metrics=metrics.ingest)
    send(ingest.port, [slide.levels[3]])
    exposed = metrics.render().decode()
    assert "pathsentry_dicom_associations_accepted_total 1.0" in exposed
    assert 'pathsentry_dicom_store_responses_total{status="0x0000"} 1.0' in exposed
