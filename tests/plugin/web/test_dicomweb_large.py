"""A slide instance of over 2 GB served through DICOMweb with flat memory.

Past 2 GiB a signed 32-bit offset overflows: the frames at the end lie beyond it.
"""

import hashlib
import itertools
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from dicomweb_client.api import DICOMwebClient
from pydicom import dcmread

from config import Settings
from db.models import Role
from db.session import Database
from plugin.web import create_app
from tests.db.factories import add_case, add_slide
from tests.dicom.frame_files import jpeg_tiles, write_fragments
from tests.plugin.web.live_server import live_server

TARGET_BYTES = (2 << 30) + (64 << 20)
MEMORY_BOUND = 48 << 20  # what the whole process may allocate while 2 GB streams through it

pytestmark = pytest.mark.slow


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """SQLite only: what this module tests does not depend on the database server."""
    return sqlite_url


def test_a_2_gb_instance_streams_with_flat_memory(
    settings: Settings, database: Database, token_of: dict[Role, str]
) -> None:
    tiles = jpeg_tiles(8, size=256)
    count = TARGET_BYTES // (sum(map(len, tiles)) // len(tiles))
    folder = settings.storage.data_dir / "slides" / "large"
    folder.mkdir(parents=True)
    written = itertools.islice(itertools.cycle(tiles), count)
    path = write_fragments(folder / "level-0.dcm", written, count)
    header = dcmread(path, stop_before_pixels=True)
    with database.session() as session:
        slide = add_slide(session, add_case(session), folder=folder)
        instance = slide.instances[0]
        instance.sop_instance_uid, instance.number_of_frames = str(header.SOPInstanceUID), count
        uids = (slide.case.study_instance_uid, slide.series_instance_uid, instance.sop_instance_uid)
        session.commit()
    auth = {"Authorization": f"Bearer {token_of[Role.VIEWER]}"}
    with live_server(create_app(settings, database=database)) as base:
        client = DICOMwebClient(f"{base}/dicom-web", headers=auth)
        tracemalloc.start()
        try:
            numbers = list(range(count - 1999, count + 1))
            frames = client.iter_instance_frames(*uids, numbers, media_types=("image/jpeg",))
            for number, frame in zip(numbers, frames, strict=True):
                assert frame == tiles[(number - 1) % len(tiles)]
            url = f"{base}/dicom-web/studies/{uids[0]}/series/{uids[1]}/instances/{uids[2]}"
            digest, size = _streamed_part(requests.get(url, headers=auth, stream=True))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert size == path.stat().st_size > 2 << 30
    assert digest == _file_digest(path)
    assert peak < MEMORY_BOUND


def _streamed_part(response: requests.Response) -> tuple[str, int]:
    """The digest and size of the one part of a multipart response, read 1 MiB at a time."""
    boundary = response.headers["Content-Type"].split("boundary=")[1]
    closing = len(f"\r\n--{boundary}--\r\n")
    digest, size, head, tail = hashlib.sha256(), 0, b"", b""
    in_body = False
    for chunk in _chunks(response):
        if not in_body:
            head += chunk
            if b"\r\n\r\n" not in head:
                continue
            chunk, in_body = head.split(b"\r\n\r\n", 1)[1], True
        data = tail + chunk
        digest.update(data[:-closing])
        size += len(data[:-closing])
        tail = data[-closing:]
    return digest.hexdigest(), size


def _chunks(response: requests.Response) -> Iterator[bytes]:
    with response:
        yield from response.iter_content(1 << 20)


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
