"""One source slide and the results written from it (SEG pyramid and SR; the three-lesion
SEG, SR and ANN) per session."""

import pytest

from dicom.results.provenance import ResultIdentity
from tests.dicom.results.writing import (
    LesionResult,
    SourceSlide,
    WrittenResult,
    algorithm,
    write_lesion_result,
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


@pytest.fixture(scope="session")
def lesions(tmp_path_factory: pytest.TempPathFactory, source: SourceSlide) -> LesionResult:
    identity = ResultIdentity(source.map_level.SeriesInstanceUID, algorithm())
    return write_lesion_result(tmp_path_factory.mktemp("lesions"), source, identity)
