"""DICOMweb conformance of what PathSentry serves, with dicomweb-client as the client."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from dicomweb_client.api import DICOMwebClient
from fastapi import FastAPI
from pydicom import dcmread
from pydicom.encaps import generate_frames

from config import Settings
from db import audit
from db.models import Role
from db.session import Database
from plugin.web import create_app
from tests.db.factories import add_case
from tests.plugin.conftest import Analysed
from tests.plugin.web.held_slides import hold_result, hold_slide
from tests.plugin.web.live_server import live_server

JPEG_BASELINE = "1.2.840.10008.1.2.4.50"


@dataclass(frozen=True)
class Held:
    base: str
    token: str
    study: str
    series: str
    seg_paths: list[Path]
    sr_path: Path
    slide_dir: Path
    database: Database

    def client(self, token: str | None = None) -> DICOMwebClient:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        return DICOMwebClient(f"{self.base}/dicom-web", headers=headers)


@pytest.fixture
def held(
    slide: Path,
    analysed: Analysed,
    settings: Settings,
    database: Database,
    token_of: dict[Role, str],
) -> Iterator[Held]:
    data_dir = settings.storage.data_dir
    with database.session() as session:
        row = hold_slide(session, slide, data_dir)
        values = hold_result(session, row, analysed[0], data_dir)
        study, series = row.case.study_instance_uid, row.series_instance_uid
        slide_dir = Path(row.storage_dir)
        session.commit()
    outputs = [file.path for file in values.files]
    app: FastAPI = create_app(settings, database=database)
    with live_server(app) as base:
        yield Held(
            base,
            token_of[Role.VIEWER],
            study,
            series,
            outputs[:-1],
            outputs[-1],
            slide_dir,
            database,
        )


def stored_frames(path: Path) -> list[bytes]:
    dataset = dcmread(path)
    return list(generate_frames(dataset.PixelData, number_of_frames=int(dataset.NumberOfFrames)))


def test_studies_are_found_by_their_keys(held: Held) -> None:
    client = held.client()
    header = dcmread(held.slide_dir / "level-0.dcm", stop_before_pixels=True)
    for search in (
        {"PatientID": str(header.PatientID)},
        {"AccessionNumber": str(header.AccessionNumber)},
        {"StudyDate": f"{header.StudyDate}-"},
        {"PatientID": str(header.PatientID)[:2] + "*"},
        {"StudyInstanceUID": held.study},
    ):
        found = client.search_for_studies(search_filters=search)
        assert [study["0020000D"]["Value"][0] for study in found] == [held.study], search
        assert set(found[0]["00080061"]["Value"]) == {"SM", "SEG", "ANN", "SR"}
    assert client.search_for_studies(search_filters={"PatientID": "nobody"}) == []
    assert client.search_for_studies(search_filters={"StudyDate": "19000101-19001231"}) == []


def test_series_and_instances_of_the_slide_and_its_results(held: Held) -> None:
    client = held.client()
    series = client.search_for_series(held.study)
    modalities = {item["00080060"]["Value"][0]: item for item in series}
    assert set(modalities) == {"SM", "SEG", "ANN", "SR"}
    assert modalities["SM"]["0020000E"]["Value"] == [held.series]
    segs = client.search_for_series(held.study, search_filters={"Modality": "SEG"})
    assert [item["00080060"]["Value"][0] for item in segs] == ["SEG"]
    instances = client.search_for_instances(held.study, held.series)
    assert len(instances) == len(list(held.slide_dir.glob("*.dcm")))
    page = client.search_for_instances(held.study, held.series, limit=2, offset=1)
    assert [item["00080018"] for item in page] == [item["00080018"] for item in instances[1:3]]
    with_fields = client.search_for_instances(
        held.study, held.series, fields=["ImageType", "00280010"]
    )
    assert all("00080008" in item and "00280010" in item for item in with_fields)
    sop = dcmread(held.seg_paths[0], stop_before_pixels=True).SOPInstanceUID
    found = client.search_for_instances(search_filters={"SOPInstanceUID": str(sop)})
    assert [item["00080018"]["Value"][0] for item in found] == [sop]


def test_metadata_of_a_series_and_an_instance(held: Held) -> None:
    client = held.client()
    metadata = client.retrieve_series_metadata(held.study, held.series)
    level = dcmread(held.slide_dir / "level-0.dcm", stop_before_pixels=True)
    by_uid = {item["00080018"]["Value"][0]: item for item in metadata}
    document = by_uid[level.SOPInstanceUID]
    assert document["00480006"]["Value"] == [level.TotalPixelMatrixColumns]
    assert document["00083002"]["Value"] == [JPEG_BASELINE]
    assert "7FE00010" not in document
    seg = dcmread(held.seg_paths[0], stop_before_pixels=True)
    single = client.retrieve_instance_metadata(
        held.study, seg.SeriesInstanceUID, seg.SOPInstanceUID
    )
    assert single["00080060"]["Value"] == ["SEG"]
    assert single["00620002"]["vr"] == "SQ"  # the segment sequence, items whole


def test_frames_are_the_stored_bytes(held: Held) -> None:
    client = held.client()
    path = held.slide_dir / "level-0.dcm"
    header = dcmread(path, stop_before_pixels=True)
    expected = stored_frames(path)
    numbers = [1, 7, len(expected)]
    for media in (("image/jpeg", JPEG_BASELINE), ("application/octet-stream", "*")):
        frames = client.retrieve_instance_frames(
            held.study, held.series, header.SOPInstanceUID, numbers, media_types=(media,)
        )
        assert frames == [expected[number - 1] for number in numbers]


def test_result_segmentation_frames_are_the_stored_bytes(held: Held) -> None:
    client = held.client()
    seg = dcmread(held.seg_paths[0], stop_before_pixels=True)
    expected = stored_frames(held.seg_paths[0])
    frames = client.retrieve_instance_frames(
        held.study,
        seg.SeriesInstanceUID,
        seg.SOPInstanceUID,
        list(range(1, len(expected) + 1)),
        media_types=(("application/octet-stream", "*"),),
    )
    assert frames == expected


def test_multipart_framing_and_caching_headers(held: Held) -> None:
    header = dcmread(held.slide_dir / "level-0.dcm", stop_before_pixels=True)
    url = (
        f"{held.base}/dicom-web/studies/{held.study}/series/{held.series}"
        f"/instances/{header.SOPInstanceUID}/frames/2"
    )
    auth = {"Authorization": f"Bearer {held.token}"}
    response = requests.get(url, headers={**auth, "Accept": 'multipart/related; type="image/jpeg"'})
    kind = response.headers["Content-Type"]
    assert kind.startswith('multipart/related; type="image/jpeg"')
    assert f"transfer-syntax={JPEG_BASELINE}" in kind
    boundary = kind.split("boundary=")[1]
    frame = stored_frames(held.slide_dir / "level-0.dcm")[1]
    part = f"Content-Type: image/jpeg; transfer-syntax={JPEG_BASELINE}\r\n\r\n".encode()
    assert response.content == (
        f"--{boundary}\r\n".encode() + part + frame + f"\r\n--{boundary}--\r\n".encode()
    )
    assert response.headers["Cache-Control"].startswith("private")
    again = requests.get(url, headers={**auth, "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""


def test_transcoding_is_refused_and_missing_things_are_404(held: Held) -> None:
    header = dcmread(held.slide_dir / "level-0.dcm", stop_before_pixels=True)
    instance = (
        f"{held.base}/dicom-web/studies/{held.study}/series/{held.series}"
        f"/instances/{header.SOPInstanceUID}"
    )
    auth = {"Authorization": f"Bearer {held.token}"}
    png = requests.get(
        f"{instance}/frames/1", headers={**auth, "Accept": 'multipart/related; type="image/jp2"'}
    )
    assert png.status_code == 406 and "not transcoded" in png.json()["detail"]
    assert requests.get(f"{instance}/frames/9999", headers=auth).status_code == 404
    assert requests.get(f"{instance}/frames/x", headers=auth).status_code == 400
    missing = f"{held.base}/dicom-web/studies/{held.study}/series/{held.series}/instances/1.2.3"
    assert requests.get(f"{missing}/metadata", headers=auth).status_code == 404
    bad_key = requests.get(f"{held.base}/dicom-web/studies?NotAKey=1", headers=auth)
    assert bad_key.status_code == 400 and "NotAKey" in bad_key.json()["detail"]


def test_the_whole_instance_is_the_stored_file(held: Held) -> None:
    path = held.slide_dir / "level-1.dcm"
    header = dcmread(path, stop_before_pixels=True)
    retrieved = held.client().retrieve_instance(held.study, held.series, header.SOPInstanceUID)
    assert retrieved.SOPInstanceUID == header.SOPInstanceUID
    assert list(generate_frames(retrieved.PixelData, number_of_frames=30)) == stored_frames(path)


def test_without_a_valid_token_nothing_is_served(held: Held) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        response = requests.get(f"{held.base}/dicom-web/studies", headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
    metadata = f"{held.base}/dicom-web/studies/{held.study}/metadata"
    assert requests.get(metadata).status_code == 401


def test_the_dashboard_session_is_accepted_and_retrievals_are_audited(held: Held) -> None:
    browser = requests.Session()
    login = browser.post(
        f"{held.base}/login", data={"token": held.token, "next": "/"}, allow_redirects=False
    )
    assert login.status_code == 303 and "pathsentry_session" in browser.cookies
    response = browser.get(f"{held.base}/dicom-web/studies/{held.study}/metadata")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/dicom+json"
    with held.database.session() as session:
        events = audit.events(session, actor=f"dr.{Role.VIEWER}")
    views = [event for event in events if event.action == audit.Action.CASE_VIEW]
    assert views and views[0].detail == "dicomweb metadata" and views[0].case_id is not None


def test_a_rendered_frame_is_the_stored_jpeg_and_other_encodings_are_refused(held: Held) -> None:
    client = held.client()
    label = dcmread(held.slide_dir / "label.dcm", stop_before_pixels=True)
    picture = client.retrieve_instance_rendered(
        held.study, held.series, label.SOPInstanceUID, media_types=("image/jpeg",)
    )
    assert picture == stored_frames(held.slide_dir / "label.dcm")[0]
    seg = dcmread(held.seg_paths[0], stop_before_pixels=True)
    url = (
        f"{held.base}/dicom-web/studies/{held.study}/series/{seg.SeriesInstanceUID}"
        f"/instances/{seg.SOPInstanceUID}/frames/1/rendered"
    )
    refused = requests.get(url, headers={"Authorization": f"Bearer {held.token}"})
    assert refused.status_code == 406 and "no decoding" in refused.json()["detail"]


def test_studies_are_paged(held: Held) -> None:
    with held.database.session() as session:
        for _ in range(3):
            add_case(session)
        session.commit()
    client = held.client()
    every = [study["0020000D"]["Value"][0] for study in client.search_for_studies()]
    assert len(every) == 4 and held.study in every
    pages = [client.search_for_studies(limit=2, offset=offset) for offset in (0, 2, 4)]
    assert [[study["0020000D"]["Value"][0] for study in page] for page in pages] == [
        every[:2],
        every[2:],
        [],
    ]
