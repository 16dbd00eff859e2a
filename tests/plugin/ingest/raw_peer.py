"""A DICOM peer written from PS3.8 byte by byte, for what a conformant sender never sends:
C-STORE requests with empty or overlong UIDs, data sets cut or mangled, PDUs that lie about
their length. It speaks over a plain socket, so nothing on our side of the test can tidy up."""

import io
import socket
import struct
from dataclasses import dataclass
from pathlib import Path

from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filereader import read_dataset, read_file_meta_info
from pydicom.filewriter import write_dataset

from tests.plugin.ingest.senders import HOST, SCP_TITLE

APPLICATION_CONTEXT = b"1.2.840.10008.3.1.1.1"
A_ASSOCIATE_AC = 0x02
P_DATA_TF = 0x04
A_ABORT = 0x07
_PDU_HEADER = struct.Struct(">BBI")
_COMMAND, _LAST = 0x01, 0x02


class PeerClosedError(Exception):
    """The SCP closed the connection (or aborted) before answering."""


@dataclass(frozen=True)
class Instance:
    """What a C-STORE carries: the UIDs of the request and the data set's encoded bytes."""

    sop_class_uid: str
    sop_instance_uid: str
    transfer_syntax_uid: str
    data_set: bytes

    @classmethod
    def from_file(cls, path: Path) -> "Instance":
        meta = read_file_meta_info(path)
        start = 132 + 12 + int(meta.FileMetaInformationGroupLength)
        return cls(
            str(meta.MediaStorageSOPClassUID),
            str(meta.MediaStorageSOPInstanceUID),
            str(meta.TransferSyntaxUID),
            path.read_bytes()[start:],
        )


def _item(kind: int, value: bytes) -> bytes:
    return struct.pack(">BBH", kind, 0, len(value)) + value


def _uid(value: str) -> bytes:
    data = value.encode("ascii")
    return data + b"\0" if len(data) % 2 else data


def associate_rq(sop_class_uid: str, transfer_syntax_uid: str, *, calling: str = "RAW") -> bytes:
    """An A-ASSOCIATE-RQ proposing one presentation context (ID 1), max PDU 64 KiB."""
    context = bytes([1, 0, 0, 0]) + _item(0x30, _uid(sop_class_uid))
    context += _item(0x40, _uid(transfer_syntax_uid))
    user = _item(0x51, struct.pack(">I", 65536))
    body = struct.pack(">HH", 1, 0) + SCP_TITLE.ljust(16).encode() + calling.ljust(16).encode()
    body += bytes(32) + _item(0x10, APPLICATION_CONTEXT) + _item(0x20, context) + _item(0x50, user)
    return _PDU_HEADER.pack(0x01, 0, len(body)) + body


def store_command(instance: Instance, message_id: int = 1) -> bytes:
    """The C-STORE-RQ command set, Implicit VR Little Endian, UIDs exactly as given."""
    command = Dataset()
    command.AffectedSOPClassUID = instance.sop_class_uid
    command.CommandField = 0x0001
    command.MessageID = message_id
    command.Priority = 0
    command.CommandDataSetType = 0x0000
    command.add_new(0x00001000, "UI", instance.sop_instance_uid)
    body = _encoded(command)
    group_length = Dataset()
    group_length.CommandGroupLength = len(body)
    return _encoded(group_length) + body


def p_data(context_id: int, control: int, data: bytes) -> bytes:
    """One P-DATA-TF PDU with one presentation data value."""
    value = struct.pack(">IBB", len(data) + 2, context_id, control) + data
    return _PDU_HEADER.pack(P_DATA_TF, 0, len(value)) + value


class RawPeer:
    """One TCP connection to the SCP."""

    def __init__(self, port: int, *, timeout_s: float = 30.0) -> None:
        self.socket = socket.create_connection((HOST, port), timeout=timeout_s)

    def close(self) -> None:
        self.socket.close()

    def associate(self, instance: Instance) -> None:
        self.socket.sendall(associate_rq(instance.sop_class_uid, instance.transfer_syntax_uid))
        kind, body = self.read_pdu()
        if kind != A_ASSOCIATE_AC:
            raise PeerClosedError(f"association not accepted (PDU type 0x{kind:02X})")
        # Presentation context item: 0x21, reserved, length, ID, reserved, result, reserved.
        result = body[body.index(b"\x21\x00", 68) + 6]
        if result != 0:
            raise PeerClosedError(f"presentation context refused ({result})")

    def store(self, instance: Instance, *, message_id: int = 1, fragment: int = 16_000) -> Dataset:
        """Send a C-STORE-RQ and its data set; the response command set."""
        self.socket.sendall(p_data(1, _COMMAND | _LAST, store_command(instance, message_id)))
        data = instance.data_set
        chunks = [data[i : i + fragment] for i in range(0, len(data), fragment)] or [b""]
        for number, chunk in enumerate(chunks):
            self.socket.sendall(p_data(1, _LAST if number == len(chunks) - 1 else 0, chunk))
        return self.response()

    def response(self) -> Dataset:
        """The next command set the SCP sends."""
        received = b""
        while True:
            kind, body = self.read_pdu()
            if kind != P_DATA_TF:
                raise PeerClosedError(f"PDU type 0x{kind:02X} instead of a response")
            length, _, control = struct.unpack_from(">IBB", body)
            received += body[6 : 4 + length]
            if control & _LAST:
                return read_dataset(io.BytesIO(received), True, True)

    def release(self) -> None:
        self.socket.sendall(_PDU_HEADER.pack(0x05, 0, 4) + bytes(4))
        self.read_pdu()

    def read_pdu(self) -> tuple[int, bytes]:
        header = self._exactly(_PDU_HEADER.size)
        kind, _, length = _PDU_HEADER.unpack(header)
        body = self._exactly(length)
        if kind == A_ABORT:
            raise PeerClosedError("the SCP aborted the association")
        return kind, body

    def _exactly(self, count: int) -> bytes:
        data = bytearray()
        while len(data) < count:
            chunk = self.socket.recv(count - len(data))
            if not chunk:
                raise PeerClosedError("the SCP closed the connection")
            data += chunk
        return bytes(data)


def _encoded(dataset: Dataset) -> bytes:
    buffer = DicomBytesIO()
    buffer.is_little_endian, buffer.is_implicit_VR = True, True  # the command set's encoding
    write_dataset(buffer, dataset)
    return buffer.getvalue()
