"""A slide whose analysis fails for good (a frame that cannot be decoded) still reaches the PACS:
its "failed" SR, with the reason in words, lands in a real Orthanc under the slide's study, reads
well in dsr2html and passes dciodvfy; no segmentation goes with it. Re-run once mended, the
slide's scored SR follows, and the failed one stays."""

import re
from pathlib import Path

import pytest
from pydicom import Dataset, dcmread

from db import jobs
from db.models import ExportState, JobState, Result
from db.session import Database
from dicom.export import enable_streamed_c_store
from plugin.analysis import WorkerConfig, run_job
from plugin.analysis.pipeline import SlidePipeline
from plugin.export.loop import DestinationExporter
from tests.db.factories import add_case, add_slide
from tests.dicom.conformance import assert_dciodvfy_clean
from tests.dicom.results.test_sr_rendering import rendered_text
from tests.dicom.slide.nonconformant import _set_frames, copy_slide, frames_of
from tests.e2e.harness import orthanc_destination
from tests.orthanc import OrthancServer
from tests.plugin.export.test_not_evaluable_in_orthanc import dcmread_bytes, report_texts
from tests.plugin.slides import service_settings

pytestmark = pytest.mark.orthanc


def undecodable(_: str, dataset: Dataset) -> None:
    """Every frame replaced by bytes that start like a JPEG and cannot be decoded."""
    _set_frames(dataset, [b"\xff\xd8" + bytes(range(200)) * 4 for _ in frames_of(dataset)])


def test_a_slide_that_fails_for_good_yields_a_failed_sr_in_orthanc(
    database: Database, slide: Path, weights: Path, tmp_path: Path
) -> None:
    broken = copy_slide(slide, tmp_path / "broken", undecodable)
    source = dcmread(broken / "level-0.dcm", stop_before_pixels=True)
    enable_streamed_c_store()  # as the service does at start-up
    with OrthancServer(tmp_path / "pacs") as pacs:
        destination = orthanc_destination(pacs)
        settings = service_settings(tmp_path / "data", weights)
        with database.session() as session:
            row = add_slide(session, add_case(session), folder=broken)
            row.series_instance_uid = str(source.SeriesInstanceUID)
            job_id = jobs.enqueue(session, row.id, "k", max_attempts=3).id
            session.commit()
        config = WorkerConfig(name="w", device="cpu", destinations=(destination.name,))
        state = run_job(database, SlidePipeline(settings), job_id, config)
        assert state is JobState.FAILED
        assert DestinationExporter(database, destination, settings).run_once() == 1
        with database.session() as session:
            job = jobs.get_job(session, job_id)
            assert job.attempts == 1  # failed at once: it cannot pass by trying again
            reason = job.reason or ""
            result = session.query(Result).filter_by(job_id=job_id).one()
            assert (result.score, result.seg_sop_instance_uid) == (None, None)
            (export,) = result.exports
            assert export.state is ExportState.DELIVERED, export.last_error
            report_uid = result.sr_sop_instance_uid
        assert pacs.study_of_instance(report_uid) == source.StudyInstanceUID
        stored_path = tmp_path / "stored.dcm"
        stored = dcmread_bytes(pacs.file_of(report_uid), stored_path)

        copy_slide(slide, broken)  # the slide mended (sent again intact), and an admin retries
        with database.session() as session:
            jobs.retry(session, job_id)
            session.commit()
        assert run_job(database, SlidePipeline(settings), job_id, config) is JobState.DONE
        assert DestinationExporter(database, destination, settings).run_once() == 1
        with database.session() as session:
            rerun = session.query(Result).filter_by(job_id=job_id).one()
            assert rerun.score is not None and rerun.exports[0].state is ExportState.DELIVERED
            scored_uid = rerun.sr_sop_instance_uid
        reports = [
            series["MainDicomTags"].get("SeriesDescription", "")
            for series in pacs.series()
            if series["MainDicomTags"].get("Modality") == "SR"
        ]
        assert pacs.instance(report_uid) is not None  # the failed SR stays
        assert pacs.study_of_instance(scored_uid) == source.StudyInstanceUID
    assert "cannot be decoded" in reason
    assert stored.SeriesDescription == "AI: failed (unverified)"
    assert stored.Modality == "SR"
    assert reason in report_texts(stored)
    text = rendered_text(stored_path)
    assert "Pathology:\nFailed" in text
    assert "Comment:\n" + reason.splitlines()[0] in text
    assert_dciodvfy_clean(stored_path)
    assert sorted(reports)[0] == "AI: failed (unverified)"
    assert len(reports) == 2 and re.fullmatch(
        r"AI: (not )?suspicious, p=[\d.]+ \(unverified\)", sorted(reports)[1]
    )
