"""Result files as typed rows: what each result wrote (kind, path, SOP class, SOP instance and
series UIDs, position), moved out of the results' stats["outputs"] lists.

The UIDs of existing files are read from the files themselves (db may not import pydicom, so a
small reader of explicit VR little endian files, the encoding PathSentry writes, is kept here);
a file that is gone keeps NULL UIDs, and exporting it fails visibly as it did before.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 08:30:00.000000
"""

import contextlib
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OUTPUTS_KEY = "outputs"
REPORT_FILE = "sr.dcm"
SEGMENTATION_STORAGE = "1.2.840.10008.5.1.4.1.1.66.4"
COMPREHENSIVE_3D_SR_STORAGE = "1.2.840.10008.5.1.4.1.1.88.34"
_SOP_CLASS, _SOP_INSTANCE = (0x0002, 0x0002), (0x0002, 0x0003)
_SERIES = (0x0020, 0x000E)
_LONG_VRS = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT"}
_UNDEFINED = 0xFFFFFFFF
_HEADER_BYTES = 1 << 20

_results = sa.table(
    "results",
    sa.column("id", sa.Integer),
    sa.column("stats", sa.JSON),
    sa.column("seg_sop_instance_uid", sa.String),
    sa.column("sr_sop_instance_uid", sa.String),
)
_files = sa.table(
    "result_files",
    sa.column("result_id", sa.Integer),
    sa.column("position", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("path", sa.String),
    sa.column("sop_class_uid", sa.String),
    sa.column("sop_instance_uid", sa.String),
    sa.column("series_instance_uid", sa.String),
)


def upgrade() -> None:
    op.create_table(
        "result_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "segmentation",
                "binary_segmentation",
                "annotations",
                "report",
                name="resultfilekind",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("path", sa.String(), nullable=False),
        sa.Column("sop_class_uid", sa.String(), nullable=False),
        sa.Column("sop_instance_uid", sa.String(), nullable=True),
        sa.Column("series_instance_uid", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["result_id"],
            ["results.id"],
            name=op.f("fk_result_files_result_id_results"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_result_files")),
        sa.UniqueConstraint(
            "result_id", "position", name=op.f("uq_result_files_result_id_position")
        ),
    )
    connection = op.get_bind()
    for row in connection.execute(sa.select(_results)).mappings().all():
        stats = dict(row["stats"] or {})
        outputs = [str(path) for path in stats.pop(OUTPUTS_KEY, [])]
        rows = [_file_row(row, position, path) for position, path in enumerate(outputs)]
        if rows:
            connection.execute(sa.insert(_files), rows)
        connection.execute(
            sa.update(_results).where(_results.c.id == row["id"]).values(stats=stats)
        )


def downgrade() -> None:
    connection = op.get_bind()
    files = connection.execute(
        sa.select(_files.c.result_id, _files.c.path).order_by(_files.c.result_id, _files.c.position)
    ).all()
    outputs: dict[int, list[str]] = {}
    for result_id, path in files:
        outputs.setdefault(result_id, []).append(path)
    for row in connection.execute(sa.select(_results.c.id, _results.c.stats)).mappings().all():
        if row["id"] in outputs:
            stats = {**(row["stats"] or {}), OUTPUTS_KEY: outputs[row["id"]]}
            connection.execute(
                sa.update(_results).where(_results.c.id == row["id"]).values(stats=stats)
            )
    op.drop_table("result_files")


def _file_row(result: Any, position: int, path: str) -> dict[str, Any]:
    """A result_files row for one listed output; its UIDs from the file where it is readable."""
    report = Path(path).name == REPORT_FILE
    read = _read_uids(Path(path))
    known_uid = result["sr_sop_instance_uid" if report else "seg_sop_instance_uid"]
    return {
        "result_id": result["id"],
        "position": position,
        "kind": "report" if report else "segmentation",
        "path": path,
        "sop_class_uid": read.get(_SOP_CLASS)
        or (COMPREHENSIVE_3D_SR_STORAGE if report else SEGMENTATION_STORAGE),
        "sop_instance_uid": read.get(_SOP_INSTANCE) or (known_uid if report else None),
        "series_instance_uid": read.get(_SERIES),
    }


def _read_uids(path: Path) -> dict[tuple[int, int], str]:
    """SOP class and instance UIDs (file meta) and the series UID (data set) of a DICOM file
    in explicit VR little endian; what cannot be read is left out."""
    try:
        with path.open("rb") as stream:
            data = stream.read(_HEADER_BYTES)
    except OSError:
        return {}
    if data[128:132] != b"DICM":
        return {}
    found: dict[tuple[int, int], str] = {}
    with contextlib.suppress(struct.error, IndexError, ValueError):
        _scan(data, 132, found)
    return found


def _scan(data: bytes, offset: int, found: dict[tuple[int, int], str]) -> None:
    """Walk top-level elements, collecting the wanted UIDs, until past the series UID."""
    wanted = (_SOP_CLASS, _SOP_INSTANCE, _SERIES)
    while offset + 8 <= len(data) and _SERIES not in found:
        tag, value_offset, length = _element(data, offset)
        if tag > _SERIES:
            return
        if length == _UNDEFINED:
            offset = _skip_undefined(data, value_offset)
            continue
        if tag in wanted:
            value = data[value_offset : value_offset + length]
            found[tag] = value.rstrip(b"\x00 ").decode("ascii")
        offset = value_offset + length


def _element(data: bytes, offset: int) -> tuple[tuple[int, int], int, int]:
    """(tag, where its value starts, its length) of the element at `offset`."""
    group, element = struct.unpack_from("<HH", data, offset)
    if group == 0xFFFE:  # items and delimiters have no VR
        return (group, element), offset + 8, struct.unpack_from("<I", data, offset + 4)[0]
    vr = data[offset + 4 : offset + 6]
    if vr in _LONG_VRS:
        return (group, element), offset + 12, struct.unpack_from("<I", data, offset + 8)[0]
    return (group, element), offset + 8, struct.unpack_from("<H", data, offset + 6)[0]


def _skip_undefined(data: bytes, offset: int) -> int:
    """Past the sequence (or item) of undefined length whose content starts at `offset`."""
    while True:
        tag, value_offset, length = _element(data, offset)
        if tag in ((0xFFFE, 0xE0DD), (0xFFFE, 0xE00D)):
            return value_offset
        if length == _UNDEFINED:
            offset = _skip_undefined(data, value_offset)
        else:
            offset = value_offset + length
