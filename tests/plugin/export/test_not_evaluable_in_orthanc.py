"""A slide the AI could not judge still reaches the PACS: its "not evaluable" SR is recorded as
the job's result and delivered to a real Orthanc, under the slide's study."""

from pathlib import Path

import pytest
from pydicom import Dataset, dcmread

from db import jobs
from db.models import ExportState, JobState, Result
from db.session import Database
from dicom.export import enable_streamed_c_store
from plugin.analysis import JobContext, JobOutcome, WorkerConfig, run_job
from plugin.analysis.pipeline import SlidePipeline
from plugin.export.loop import DestinationExporter
from tests.db.factories import add_case, add_slide
from tests.e2e.harness import orthanc_destination
from tests.orthanc import OrthancServer
from tests.plugin.slides import blank_slide, job_context, service_settings

pytestmark = pytest.mark.orthanc


def test_a_not_evaluable_slide_yields_an_sr_in_orthanc(
    database: Database, weights: Path, tmp_path: Path
) -> None:
    glass = blank_slide(tmp_path / "glass")
    source = dcmread(sorted(glass.glob("*.dcm"))[0], stop_before_pixels=True)
    enable_streamed_c_store()  # as the service does at start-up
    with OrthancServer(tmp_path / "pacs") as pacs:
        destination = orthanc_destination(pacs)
        settings = service_settings(tmp_path / "data", weights)
        pipeline = SlidePipeline(settings)

        def on_the_glass(context: JobContext) -> JobOutcome:
            return pipeline(job_context(glass))

        with database.session() as session:
            slide_id = add_slide(session, add_case(session)).id
            job_id = jobs.enqueue(session, slide_id, "k", max_attempts=1).id
            session.commit()
        config = WorkerConfig(name="w", device="cpu", destinations=(destination.name,))
        assert run_job(database, on_the_glass, job_id, config) is JobState.NOT_EVALUABLE
        assert DestinationExporter(database, destination, settings).run_once() == 1
        with database.session() as session:
            result = session.query(Result).filter_by(job_id=job_id).one()
            (export,) = result.exports
            assert export.state is ExportState.DELIVERED, export.last_error
            report_uid = result.sr_sop_instance_uid
        assert pacs.study_of_instance(report_uid) == source.StudyInstanceUID
        stored = dcmread_bytes(pacs.file_of(report_uid), tmp_path / "stored.dcm")
    assert stored.SeriesDescription == "AI: not evaluable (unverified)"
    assert stored.Modality == "SR"
    assert "no tissue" in report_texts(stored)


def dcmread_bytes(data: bytes, path: Path) -> Dataset:
    path.write_bytes(data)
    return dcmread(path)


def report_texts(report: Dataset) -> str:
    """Every TEXT value of the report's content tree."""
    texts, pending = [], list(report.ContentSequence)
    while pending:
        item = pending.pop()
        if item.ValueType == "TEXT":
            texts.append(str(item.TextValue))
        pending.extend(item.get("ContentSequence", []))
    return "\n".join(texts)
