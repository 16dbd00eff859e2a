"""Migration 0004_result_files moves each result's stats["outputs"] into result_files rows,
with the UIDs read from the files, on SQLite and PostgreSQL (and back on downgrade)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from pydicom import Dataset, FileMetaDataset, dcmwrite
from pydicom.uid import ExplicitVRLittleEndian

from db.migrate import alembic_config, head_revision, upgrade
from db.models import JobState, Result, ResultFile, ResultFileKind
from db.session import connect
from tests.db.factories import REPORT, SEGMENTATION, T0, add_case, add_job, add_slide, uid
from tests.db.fixtures import new_postgres_database

REVISION = "0004"
BEFORE = ScriptDirectory.from_config(alembic_config()).get_revision(REVISION).down_revision


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema yet."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/migrating.db"
        return
    with new_postgres_database("pathsentry_migration") as url:
        yield url


def dicom_file(path: Path, sop_class: str, series: str) -> str:
    """A small DICOM file like the ones PathSentry writes: sequences before the series UID."""
    dataset = Dataset()
    dataset.SOPClassUID = sop_class
    dataset.SOPInstanceUID = instance = uid(8)
    dataset.StudyInstanceUID = uid(1)
    reference = Dataset()
    reference.SeriesInstanceUID = uid(2)
    reference.ReferencedInstanceSequence = [Dataset()]
    reference.ReferencedInstanceSequence[0].ReferencedSOPInstanceUID = uid(3)
    dataset.ReferencedSeriesSequence = [reference]
    dataset.SeriesInstanceUID = series
    dataset.Modality = "SEG"
    dataset.file_meta = FileMetaDataset()
    dataset.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    dcmwrite(path, dataset, enforce_file_format=True)
    return instance


def test_outputs_move_into_typed_rows_and_back(empty_url: str, tmp_path: Path) -> None:
    upgrade(empty_url, str(BEFORE))
    series = [uid(9), uid(9)]
    seg = dicom_file(tmp_path / "seg-level-1.dcm", SEGMENTATION, series[0])
    sr = dicom_file(tmp_path / "sr.dcm", REPORT, series[1])
    outputs = [str(tmp_path / name) for name in ("seg-level-1.dcm", "seg-level-2.dcm", "sr.dcm")]
    database = connect(empty_url)
    try:
        with database.session() as session, session.begin():
            job = add_job(session, add_slide(session, add_case(session)), JobState.DONE)
            columns = {
                "job_id": job.id,
                "slide_id": job.slide_id,
                "score": 0.9,
                "suspicious": True,
                "threshold": 0.5,
                "model_name": "m",
                "model_version": "1",
                "weights_sha256": "f" * 64,
                "seg_sop_instance_uid": seg,
                "seg_path": outputs[0],
                "sr_sop_instance_uid": sr,
                "sr_path": outputs[2],
                "stats": {"outputs": outputs, "top_k": 1000},
                "created_at": T0,
            }
            table = Result.__table__
            assert isinstance(table, sa.Table)
            session.execute(sa.insert(table).values(columns))
        assert upgrade(empty_url, REVISION) == REVISION
        with database.session() as session:
            # Only the columns of this revision (later ones add more to the model).
            assert session.scalars(sa.select(Result.stats)).one() == {"top_k": 1000}
            rows = [
                (row.position, row.kind, row.path, row.sop_class_uid, row.sop_instance_uid)
                for row in session.scalars(sa.select(ResultFile).order_by(ResultFile.position))
            ]
            series_read = list(session.scalars(sa.select(ResultFile.series_instance_uid)))
        assert rows == [
            (0, ResultFileKind.SEGMENTATION, outputs[0], SEGMENTATION, seg),
            (1, ResultFileKind.SEGMENTATION, outputs[1], SEGMENTATION, None),  # gone
            (2, ResultFileKind.REPORT, outputs[2], REPORT, sr),
        ]
        assert sorted(series_read, key=str) == sorted([*series, None], key=str)
        command.downgrade(alembic_config(empty_url), str(BEFORE))
        with database.engine.connect() as connection:
            stats = connection.execute(sa.select(Result.__table__.c.stats)).scalar_one()
        assert stats == {"top_k": 1000, "outputs": outputs}
        assert upgrade(empty_url) == head_revision()
    finally:
        database.dispose()
