from pathlib import Path

import pytest

from db.results import ResultValues
from plugin.analysis.pipeline import SlidePipeline
from tests.db.fixtures import (  # noqa: F401 - the database fixtures of tests/db
    database,
    database_url,
    postgres_database,
    sqlite_template,
    sqlite_url,
)
from tests.plugin.slides import job_context, service_settings, small_slide, tiny_model

# What the pipeline made of the small slide: its result, the progress it reported, the pipeline.
Analysed = tuple[ResultValues, list[tuple[float, str]], SlidePipeline]


@pytest.fixture(scope="session")
def slide(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small malignant synthetic slide, as DICOM files."""
    return small_slide(tmp_path_factory.mktemp("slide"))


@pytest.fixture(scope="session")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny untrained model's weights file."""
    return tiny_model(tmp_path_factory.mktemp("model") / "tiny.safetensors")


@pytest.fixture(scope="session")
def analysed(slide: Path, weights: Path, tmp_path_factory: pytest.TempPathFactory) -> Analysed:
    """The small slide run through the real pipeline once."""
    pipeline = SlidePipeline(service_settings(tmp_path_factory.mktemp("data"), weights))
    progress: list[tuple[float, str]] = []
    outcome = pipeline(job_context(slide, progress))
    assert isinstance(outcome, ResultValues)
    return outcome, progress, pipeline
