"""Senders for ingest tests: dcmtk's storescu (a real, independent sender) and pynetdicom
(exact statuses and Error Comments), both over real sockets."""

import os
import shutil
import ssl
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydicom.dataset import Dataset
from pydicom.filereader import read_file_meta_info
from pynetdicom import AE
from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]

from tests.conftest import require

HOST = "127.0.0.1"
SCP_TITLE = "PATHSENTRY"


def storescu(
    port: int,
    paths: Sequence[Path],
    *,
    calling: str = "STORESCU",
    called: str = SCP_TITLE,
) -> subprocess.CompletedProcess[str]:
    """dcmtk's storescu, proposing the files' SOP classes with JPEG baseline and uncompressed."""
    command = [dcmtk("storescu"), "-R", "-xy", "-aet", calling, "-aec", called, HOST, str(port)]
    return subprocess.run(
        [*command, *map(str, paths)], capture_output=True, text=True, timeout=60, check=False
    )


def dcmtk(program: str) -> str:
    """The path of a dcmtk program: the venv's pynetdicom scripts of the same name (storescu,
    storescp) are skipped, since they take other options."""
    venv_bin = Path(sys.executable).parent.resolve()
    folders = os.environ.get("PATH", "").split(os.pathsep)
    search = os.pathsep.join(folder for folder in folders if Path(folder).resolve() != venv_bin)
    found = shutil.which(program, path=search)
    require(found is not None, "dcmtk is not installed (Debian package dcmtk)")
    assert found is not None
    return found


@dataclass
class Delivery:
    """What a pynetdicom association achieved: whether it was accepted, and a status per file."""

    established: bool
    statuses: list[Dataset] = field(default_factory=list)
    refused_contexts: list[str] = field(default_factory=list)

    @property
    def codes(self) -> list[int]:
        return [int(status.Status) if "Status" in status else -1 for status in self.statuses]


def send(
    port: int,
    paths: Sequence[Path],
    *,
    calling: str = "SENDER",
    called: str = SCP_TITLE,
    tls: ssl.SSLContext | None = None,
) -> Delivery:
    """C-STORE the files over one association, streamed from disk (configure_pynetdicom)."""
    entity = AE(ae_title=calling)
    for sop_class, syntax in dict.fromkeys(_context(path) for path in paths):
        entity.add_requested_context(sop_class, syntax)
    tls_args = None if tls is None else (tls, HOST)
    association = entity.associate(HOST, port, ae_title=called, tls_args=tls_args)
    if not association.is_established:
        return Delivery(established=False)
    refused = [str(context.abstract_syntax) for context in association.rejected_contexts]
    delivery = Delivery(True, refused_contexts=refused)
    try:
        for path in paths:
            if _context(path)[0] in refused:
                continue
            delivery.statuses.append(association.send_c_store(path))
    finally:
        association.release()
    return delivery


def echo(port: int, *, calling: str = "SENDER") -> int:
    """C-ECHO; the status, or -1 without an association."""
    entity = AE(ae_title=calling)
    entity.add_requested_context(Verification)
    association = entity.associate(HOST, port, ae_title=SCP_TITLE)
    if not association.is_established:
        return -1
    try:
        return int(association.send_c_echo().Status)
    finally:
        association.release()


def _context(path: Path) -> tuple[str, str]:
    meta = read_file_meta_info(path)
    return str(meta.MediaStorageSOPClassUID), str(meta.TransferSyntaxUID)
