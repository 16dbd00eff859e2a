"""What /metrics tells an administrator: build, free space of the storage volume, queue age."""

import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from config import Settings
from db.models import JobState, Role, utcnow
from db.session import Database
from plugin.metrics import ServiceMetrics
from plugin.version import service_version
from plugin.web import create_app
from tests.db.factories import add_case, add_job, add_slide
from tests.plugin.web.conftest import bearer


def _samples(text: str) -> dict[str, float]:
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_build_info_names_the_version_model_and_weights() -> None:
    metrics = ServiceMetrics()
    assert f'pathsentry_build_info{{model="",version="{service_version()}"' in (
        metrics.render().decode()
    )
    metrics.describe_model(model="deeplabv3-resnet50 1.2", weights_sha256="ab" * 32)
    text = metrics.render().decode()
    assert re.search(
        r'pathsentry_build_info\{model="deeplabv3-resnet50 1.2",version="[^"]+",'
        rf'weights_sha256="{"ab" * 32}"\}} 1.0',
        text,
    )
    assert service_version() not in ("", "unknown")


def test_free_space_and_the_age_of_the_oldest_queued_job(
    settings: Settings, database: Database, token_of: dict[Role, str]
) -> None:
    with TestClient(create_app(settings, database=database)) as client:
        viewer = bearer(token_of[Role.VIEWER])
        empty = _samples(client.get("/metrics", headers=viewer).text)
        assert empty["pathsentry_oldest_queued_job_age_seconds"] == 0.0
        with database.session() as session:
            slide = add_slide(session, add_case(session))
            add_job(session, slide, JobState.QUEUED).queued_at = utcnow() - timedelta(hours=2)
            add_job(session, add_slide(session, slide.case), JobState.QUEUED)
            add_job(session, add_slide(session, slide.case), JobState.RUNNING).queued_at = (
                utcnow() - timedelta(days=3)
            )
            session.commit()
        seen = _samples(client.get("/metrics", headers=viewer).text)
    assert 7200 <= seen["pathsentry_oldest_queued_job_age_seconds"] < 7200 + 600
    usage = shutil.disk_usage(settings.storage.data_dir)
    assert seen["pathsentry_storage_size_bytes"] == usage.total
    assert 0 < seen["pathsentry_storage_free_bytes"] <= usage.total


def test_an_unreadable_storage_folder_is_logged_and_the_rest_still_reported(
    database: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    metrics = ServiceMetrics()
    metrics.watch(database, None, tmp_path / "gone")
    seen = _samples(metrics.render().decode())
    assert "pathsentry_storage_free_bytes" not in seen
    assert seen["pathsentry_database_up"] == 1.0
    assert "cannot read the free space" in caplog.text
