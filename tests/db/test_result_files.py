"""Result files of every kind are stored as typed rows, in the order given, on SQLite and
PostgreSQL: the BINARY SEG levels and the annotation object as well as the SEG and the SR."""

import dataclasses
from pathlib import Path

import sqlalchemy as sa

from db.models import JobState, ResultFile, ResultFileKind
from db.results import add_result, get_result
from db.session import Database
from dicom.results.written_file import WrittenFile
from tests.db.factories import SEGMENTATION, add_case, add_job, add_slide, result_values, uid

ANNOTATIONS = "1.2.840.10008.5.1.4.1.1.91.1"


def test_every_kind_of_file_is_stored_in_its_delivery_order(database: Database) -> None:
    folder = Path("/results/slide")
    files = (
        WrittenFile(
            ResultFileKind.SEGMENTATION, folder / "seg-level-2.dcm", SEGMENTATION, uid(1), uid(2)
        ),
        WrittenFile(
            ResultFileKind.BINARY_SEGMENTATION,
            folder / "binary-seg-level-2.dcm",
            SEGMENTATION,
            uid(3),
            uid(4),
        ),
        WrittenFile(
            ResultFileKind.ANNOTATIONS, folder / "foci-ann.dcm", ANNOTATIONS, uid(5), uid(6)
        ),
    )
    values = result_values(0.8, folder=folder)
    values = dataclasses.replace(values, files=(*files, *values.files[1:]))
    with database.session() as session:
        job = add_job(session, add_slide(session, add_case(session)), JobState.DONE, progress=1.0)
        result_id = add_result(session, job, values, ()).id
        session.commit()
    with database.session() as session:
        stored = get_result(session, result_id).files
        assert [(file.kind, Path(file.path)) for file in stored] == [
            (file.kind, file.path) for file in values.files
        ]
        kinds = session.scalars(
            sa.select(sa.cast(ResultFile.kind, sa.String)).order_by(ResultFile.position)
        ).all()
    assert kinds == ["segmentation", "binary_segmentation", "annotations", "report"]
