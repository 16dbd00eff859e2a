"""One source slide and one written result (SEG pyramid and SR) per session."""

import pytest

from dicom.provenance import ResultIdentity
from tests.dicom.results.writing import (
    SourceSlide,
    WrittenResult,
    algorithm,
    write_result,
    write_source,
)


@pytest.fixture(scope="session")
def source(tmp_path_factory: pytest.TempPathFactory) -> SourceSlide:
    return write_source(tmp_path_factory.mktemp("source"))


@pytest.fixture(scope="session")
def result(tmp_path_factory: pytest.TempPathFactory, source: SourceSlide) -> WrittenResult:
    identity = ResultIdentity(source.map_level.SeriesInstanceUID, algorithm())
    return write_result(tmp_path_factory.mktemp("result"), source, identity)
