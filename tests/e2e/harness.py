"""What the end-to-end tests share: slides in Orthanc, PathSentry's settings, waiting, counting."""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from config.settings import DimseDestination
from plugin.tools.synthetic_slide import SyntheticSlideRequest, write_synthetic_slide
from tests.orthanc import OrthancServer

PATHSENTRY_AE = "PATHSENTRY"
SEG_CLASS = "1.2.840.10008.5.1.4.1.1.66.4"
SR_CLASS = "1.2.840.10008.5.1.4.1.1.88.34"


@dataclass(frozen=True)
class E2eSlide:
    """A synthetic slide written to disk: its folder, kind and DICOM identity."""

    folder: Path
    kind: str
    study_uid: str
    series_uid: str


def make_slide(folder: Path, kind: str, seed: int, case: str) -> E2eSlide:
    """A small synthetic slide (1.6 x 1.2 mm; seeds not used to train the demo model)."""
    request = SyntheticSlideRequest(kind=kind, seed=seed, width_um=1600, height_um=1200, case=case)
    written = write_synthetic_slide(folder, request)
    return E2eSlide(folder, kind, written.study_uid, written.series_uid)


def upload(pacs: OrthancServer, slide: E2eSlide) -> None:
    """Store every file of the slide in Orthanc, as the scanner would have."""
    for path in sorted(slide.folder.glob("*.dcm")):
        pacs.upload(path)


def forward(pacs: OrthancServer, modality: str, slide: E2eSlide) -> None:
    """Ask Orthanc to send the slide's series to PathSentry (a PACS routing rule would)."""
    match = pacs.lookup(slide.series_uid)
    assert match is not None, f"series {slide.series_uid} is not in Orthanc"
    body = {"Resources": [match["ID"]], "Synchronous": True}
    response = httpx.post(f"{pacs.url}/modalities/{modality}/store", json=body, timeout=300)
    response.raise_for_status()


def orthanc_destination(pacs: OrthancServer) -> DimseDestination:
    """Orthanc as the destination of PathSentry's results."""
    return DimseDestination(
        kind="dimse", name="orthanc", ae_title=pacs.ae_title, host=pacs.host, port=pacs.dicom_port
    )


@dataclass(frozen=True)
class StoredResults:
    """The SEG and SR instances a PACS holds in one study: (series UID, SOP instance UID)."""

    segmentations: list[tuple[str, str]]
    reports: list[tuple[str, str]]

    @property
    def seg_series(self) -> set[str]:
        return {series for series, _ in self.segmentations}


def results_in_pacs(pacs: OrthancServer, study_uid: str) -> StoredResults:
    """What Orthanc holds of PathSentry's outputs in the study (every slide has its own)."""
    stored: dict[str, list[tuple[str, str]]] = {SEG_CLASS: [], SR_CLASS: []}
    study = pacs.lookup(study_uid)
    if study is not None:
        for series in pacs.series(study["ID"]):
            for instance in pacs.instances(series["ID"]):
                tags = pacs.get(f"/instances/{instance['ID']}/simplified-tags")
                if tags["SOPClassUID"] in stored:
                    uids = (tags["SeriesInstanceUID"], tags["SOPInstanceUID"])
                    stored[tags["SOPClassUID"]].append(uids)
    return StoredResults(stored[SEG_CLASS], stored[SR_CLASS])


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = 600) -> None:
    """Poll `condition` (bounded) until it holds."""
    pause = threading.Event()
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout_s:.0f} s waiting for {what}")
        pause.wait(0.25)
