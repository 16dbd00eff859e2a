"""The whole service between a real PACS and itself: Orthanc forwards the slides, PathSentry
analyses them with the demo model and sends SEG and SR back under the right study."""

from pathlib import Path

import pytest

from config import DicomSettings, ExportSettings, InferenceSettings, Settings, StorageSettings
from config.settings import WebSettings
from db.worklist import Priority
from plugin.service import start_service
from plugin.tools.demo import free_port, ranked_cases, wait_for_analyses
from tests.e2e.harness import (
    PATHSENTRY_AE,
    E2eSlide,
    forward,
    make_slide,
    orthanc_destination,
    results_in_pacs,
    upload,
)
from tests.orthanc import OrthancServer

pytestmark = [pytest.mark.orthanc, pytest.mark.slow]


@pytest.fixture(scope="module")
def slides(tmp_path_factory: pytest.TempPathFactory) -> list[E2eSlide]:
    """Two malignant and two benign slides, each its own case."""
    folder = tmp_path_factory.mktemp("slides")
    kinds = ("malignant", "benign", "malignant", "benign")
    return [
        make_slide(folder / f"{kind}-{index}", kind, 9500 + index, f"E2E-{index}")
        for index, kind in enumerate(kinds)
    ]


def test_slides_from_the_pacs_come_back_as_seg_and_sr_and_are_ranked(
    slides: list[E2eSlide], tmp_path: Path
) -> None:
    port = free_port()
    peers = {"pathsentry": (PATHSENTRY_AE, "127.0.0.1", port)}
    with OrthancServer(tmp_path / "pacs", modalities=peers) as pacs:
        for slide in slides:
            upload(pacs, slide)
        settings = Settings(
            storage=StorageSettings(data_dir=tmp_path / "data"),
            dicom=DicomSettings(host="127.0.0.1", port=port, allowed_calling_ae_titles=["ORTHANC"]),
            web=WebSettings(port=free_port()),
            inference=InferenceSettings(device="cpu"),  # the bundled demo model
            export=ExportSettings(destinations=[orthanc_destination(pacs)]),
        )
        service = start_service(settings)
        try:
            for slide in slides:
                forward(pacs, "pathsentry", slide)
            states = wait_for_analyses(service, [s.folder for s in slides], lambda _: None)
            assert [state.status for state in states] == ["done"] * len(slides)
            cases = ranked_cases(service)
        finally:
            service.stop()
        for slide in slides:
            stored = results_in_pacs(pacs, slide.study_uid)
            assert len(stored.reports) == 1, f"{slide.kind}: {stored}"
            assert len(stored.seg_series) == 1, f"{slide.kind}: {stored}"
            assert len(set(stored.segmentations)) == len(stored.segmentations)
    kinds = {slide.study_uid: slide.kind for slide in slides}
    ranked = [kinds[case.study_instance_uid] for case in cases]
    assert ranked == ["malignant", "malignant", "benign", "benign"], ranked
    assert all(case.priority is Priority.SUSPICIOUS for case in cases[:2])
    assert all(case.priority is Priority.ROUTINE for case in cases[2:])
