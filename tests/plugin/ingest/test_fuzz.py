"""A bounded fuzzing run of the DICOM listener: small WSI instances, each broken in one way a
careless or hostile sender might (cut short, element lengths and VRs wrong, huge lengths,
path-like or empty UIDs), sent over real sockets by pynetdicom and by a raw peer.

Every broken instance must be answered with a PS3.4 failure status (never 0x0110 "try again"),
nothing may crash or hang, no file may land outside the storage folder, and intact instances
sent between them must still be stored. Fixed seed, bounded count: about a minute.
"""

import dataclasses
import random
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydicom import config as pydicom_config
from pydicom import dcmread
from pydicom.dataelem import RawDataElement
from pydicom.dataset import FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_file_meta_info
from pydicom.uid import UID, generate_uid
from pynetdicom import AE

from plugin.tools.synthetic_slide import SyntheticSlide
from tests.plugin.ingest.conftest import Ingest, StartIngest
from tests.plugin.ingest.raw_peer import Instance, RawPeer
from tests.plugin.ingest.senders import HOST, SCP_TITLE, echo

SEED = 20261202
ROUNDS = 200
SUCCESS = 0x0000
SOP_CLASS_NOT_SUPPORTED = 0x0122
LONG_LENGTH_VRS = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"}
# Top-level elements every instance must carry usable: a broken one is always refused.
REQUIRED = {
    0x00080016: "SOPClassUID",
    0x00080018: "SOPInstanceUID",
    0x0020000D: "StudyInstanceUID",
    0x0020000E: "SeriesInstanceUID",
    0x00280010: "Rows",
    0x00280011: "Columns",
    0x00280100: "BitsAllocated",
}
PIXEL_DATA = 0x7FE00010


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """Nothing broken reaches the database: SQLite only."""
    return sqlite_url


@dataclass(frozen=True)
class Element:
    """Where one top-level element of a file lies."""

    tag: int
    vr: str
    start: int  # its tag
    length_at: int
    length_size: int


def _elements(path: Path) -> dict[int, Element]:
    dataset = dcmread(path, stop_before_pixels=False, defer_size=1024)
    found: dict[int, Element] = {}
    for tag in list(dataset.keys()):
        raw: Any = dataset.get_item(tag, keep_deferred=True)  # typed as converted; raw here
        if not isinstance(raw, RawDataElement) or raw.value_tell is None:
            continue
        vr = str(raw.VR)
        long = vr in LONG_LENGTH_VRS
        start = raw.value_tell - (12 if long else 8)
        found[int(tag)] = Element(int(tag), vr, start, start + (8 if long else 6), 4 if long else 2)
    return found


Mutation = Callable[[random.Random, bytearray, dict[int, Element]], str]


def _truncate(rng: random.Random, data: bytearray, elements: dict[int, Element]) -> str:
    start = min(element.start for element in elements.values())
    cut = rng.randrange(start, len(data) - 1)
    size = len(data)
    del data[cut:]
    return f"cut at {cut} of {size} bytes"


def _wrong_length(rng: random.Random, data: bytearray, elements: dict[int, Element]) -> str:
    element = elements[rng.choice(list(REQUIRED))]
    form = "<H" if element.length_size == 2 else "<I"
    (length,) = struct.unpack_from(form, data, element.length_at)
    wrong = max(0, length + rng.choice([-4, -2, -1, 1, 2, 3, 6]))
    struct.pack_into(form, data, element.length_at, wrong)
    return f"{REQUIRED[element.tag]} length {length} -> {wrong}"


def _huge_length(rng: random.Random, data: bytearray, elements: dict[int, Element]) -> str:
    element = elements[rng.choice([*REQUIRED, PIXEL_DATA])]
    huge = 0xFFFF if element.length_size == 2 else rng.choice([0xFFFFFFF0, 0x7FFFFFFF])
    form = "<H" if element.length_size == 2 else "<I"
    struct.pack_into(form, data, element.length_at, huge)
    return f"({element.tag:08X}) length -> {huge}"


def _wrong_vr(rng: random.Random, data: bytearray, elements: dict[int, Element]) -> str:
    element = elements[rng.choice([*REQUIRED, PIXEL_DATA])]
    unknown = "".join(rng.choice("JKQXYZ") for _ in range(2))
    # A known VR of another size for a binary value; an unknown one otherwise.
    wrong = {"US": "UL", "UL": "FD"}.get(element.vr, unknown) if rng.random() < 0.5 else unknown
    data[element.start + 4 : element.start + 6] = wrong.encode()
    return f"({element.tag:08X}) VR {element.vr} -> {wrong}"


BYTE_MUTATIONS: list[Mutation] = [_truncate, _wrong_length, _huge_length, _wrong_vr]
BAD_REQUEST_UIDS = ["", " ", "\0", "../../../escape", "1.2/../../x", "1.2." + "9" * 70, "1.2.\\3"]
BAD_DATA_SET_UIDS = ["../../escape", "1.2.3/../..", "..", "", "1.2.3\\..\\x"]


class Fuzzer:
    """Makes broken instances from the small levels of a slide, each with fresh UIDs."""

    def __init__(self, slide: SyntheticSlide, folder: Path) -> None:
        self._sources = [*slide.levels[2:], *slide.extras]
        self.folder = folder
        self._count = 0

    def fresh(self, rng: random.Random, **uids: str) -> Path:
        """A copy of a source instance under new UIDs (or the ones given)."""
        self._count += 1
        dataset = dcmread(rng.choice(self._sources))
        dataset.SOPInstanceUID = uids.get("sop", generate_uid())
        dataset.SeriesInstanceUID = uids.get("series", generate_uid())
        dataset.StudyInstanceUID = uids.get("study", generate_uid())
        dataset.file_meta.MediaStorageSOPInstanceUID = uids.get("meta", dataset.SOPInstanceUID)
        path = self.folder / f"{self._count}.dcm"
        with pydicom_config.disable_value_validation():
            dataset.save_as(path, enforce_file_format=False)
        return path

    def broken(self, rng: random.Random) -> tuple[Instance, str]:
        """One broken instance and what was done to it."""
        kind = rng.randrange(6)
        if kind == 4:
            uid = rng.choice(BAD_REQUEST_UIDS)
            instance = Instance.from_file(self.fresh(rng))
            return dataclasses.replace(instance, sop_instance_uid=uid), f"request UID {uid!r}"
        if kind == 5:
            uid = rng.choice(BAD_DATA_SET_UIDS)
            field = rng.choice(["sop", "series", "study"])
            path = self.fresh(rng, **{field: uid, "meta": generate_uid()})
            return Instance.from_file(path), f"{field} UID {uid!r}"
        path = self.fresh(rng)
        data = bytearray(path.read_bytes())
        what = BYTE_MUTATIONS[kind](rng, data, _elements(path))
        path.write_bytes(data)
        return Instance.from_file(path), what


def _is_failure(status: int) -> bool:
    """A C-STORE failure status of PS3.4 B.2.3 (or the general 0x0122) that is not 0x0110."""
    return status == SOP_CLASS_NOT_SUPPORTED or (status >> 12) in (0xA, 0xC)


@pytest.fixture
def fuzzer(slide: SyntheticSlide, tmp_path: Path) -> Fuzzer:
    folder = tmp_path / "sent"
    folder.mkdir()
    return Fuzzer(slide, folder)


def _files(root: Path) -> set[Path]:
    return {path for path in root.rglob("*") if path.is_file()}


def _pynetdicom_statuses(port: int, instances: list[tuple[Path, str]]) -> Iterator[int]:
    """C-STORE each file (streamed from disk as it is) over one pynetdicom association."""
    entity = AE(ae_title="FUZZER")
    entity.dimse_timeout = entity.acse_timeout = entity.network_timeout = 30
    for path, _ in instances:
        meta = dcmread(path, stop_before_pixels=True).file_meta
        entity.add_requested_context(meta.MediaStorageSOPClassUID, meta.TransferSyntaxUID)
    association = entity.associate(HOST, port, ae_title=SCP_TITLE)
    assert association.is_established
    try:
        for path, _ in instances:
            answer = association.send_c_store(path)
            yield int(answer.Status) if "Status" in answer else -1
    finally:
        association.release()


@pytest.mark.slow
@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_broken_instances_get_failure_statuses_and_nothing_escapes(
    start: StartIngest, fuzzer: Fuzzer, tmp_path: Path
) -> None:
    ingest = start(acse_timeout_s=30, dimse_timeout_s=30, network_timeout_s=30)
    rng = random.Random(SEED)
    before = _files(tmp_path)
    answered: list[tuple[str, int]] = []
    intact = 0
    for _ in range(ROUNDS // 10):
        raw = [fuzzer.broken(rng) for _ in range(5)]
        answered += _raw_round(ingest, raw, fuzzer, rng)
        intact += 1
        files = []
        for _ in range(5):
            instance, what = fuzzer.broken(rng)
            if _pynetdicom_sends(instance.sop_instance_uid):
                files.append((_as_file(instance, fuzzer.folder), what))
        files.append((fuzzer.fresh(rng), "intact"))
        intact += 1
        statuses = list(_pynetdicom_statuses(ingest.port, files))
        answered += [(what, status) for (_, what), status in zip(files, statuses, strict=True)]
    broken = [(what, status) for what, status in answered if what != "intact"]
    assert [(what, status) for what, status in broken if not _is_failure(status)] == []
    assert [status for what, status in answered if what == "intact"] == [SUCCESS] * intact
    assert echo(ingest.port) == 0
    _assert_nothing_escaped(ingest, tmp_path, before, intact)


def _raw_round(
    ingest: Ingest, broken: list[tuple[Instance, str]], fuzzer: Fuzzer, rng: random.Random
) -> list[tuple[str, int]]:
    """The broken instances and then an intact one over one raw association."""
    intact = Instance.from_file(fuzzer.fresh(rng))
    peer = RawPeer(ingest.port)
    try:
        peer.associate(intact)
        answered = []
        for number, (instance, what) in enumerate([*broken, (intact, "intact")], start=1):
            answered.append((what, int(peer.store(instance, message_id=number).Status)))
        peer.release()
    finally:
        peer.close()
    return answered


def _as_file(instance: Instance, folder: Path) -> Path:
    """A file carrying `instance` as is, for pynetdicom to stream (its meta names the request's
    UIDs)."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(instance.sop_class_uid)
    meta.MediaStorageSOPInstanceUID = UID(instance.sop_instance_uid)
    meta.TransferSyntaxUID = UID(instance.transfer_syntax_uid)
    buffer = DicomBytesIO()
    buffer.write(b"\0" * 128 + b"DICM")
    write_file_meta_info(buffer, meta, enforce_standard=True)
    path = folder / f"stream-{generate_uid()}.dcm"
    path.write_bytes(buffer.getvalue() + instance.data_set)
    return path


def _pynetdicom_sends(uid: str) -> bool:
    """Whether pynetdicom as a sender takes this UID at all (it refuses empty and long ones)."""
    text = uid.strip(" \0")
    return bool(text) and len(uid) <= 64 and "\\" not in uid


def _assert_nothing_escaped(ingest: Ingest, tmp_path: Path, before: set[Path], stored: int) -> None:
    storage = ingest.settings.storage
    data_dir = storage.data_dir.resolve()
    new = {path.resolve() for path in _files(tmp_path) - before}
    sent = (tmp_path / "sent").resolve()
    outside = [p for p in new if not p.is_relative_to(sent) and not p.is_relative_to(data_dir)]
    assert outside == []
    incoming, instances = ingest.files()
    assert incoming == [] and ingest.service.scp.spool.pending == 0
    slides = storage.slides_dir.resolve()
    assert all(path.resolve().parent.parent == slides for path in instances)
    assert len(instances) == stored
