"""A written result to send (SEG pyramid and SR of a small slide) and the start-up setting the
C-STORE sender needs."""

import pytest

from dicom.export import enable_streamed_c_store
from dicom.results.provenance import ResultIdentity
from tests.dicom.results.writing import (
    SourceSlide,
    WrittenResult,
    algorithm,
    write_result,
    write_source,
)


@pytest.fixture(scope="session", autouse=True)
def streamed_c_store() -> None:
    # The service does this once at start-up; tests are one process too.
    enable_streamed_c_store()


@pytest.fixture(scope="session")
def source(tmp_path_factory: pytest.TempPathFactory) -> SourceSlide:
    return write_source(tmp_path_factory.mktemp("source"))


@pytest.fixture(scope="session")
def result(tmp_path_factory: pytest.TempPathFactory, source: SourceSlide) -> WrittenResult:
    identity = ResultIdentity(source.map_level.SeriesInstanceUID, algorithm())
    return write_result(tmp_path_factory.mktemp("result"), source, identity)
