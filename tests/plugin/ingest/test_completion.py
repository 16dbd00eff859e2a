"""Slides that complete without a whole pyramid, non-conformant files, and start-up cleaning."""

from pathlib import Path

from db import jobs
from db.models import Instance, Job, JobState, Slide, SlideState
from plugin.ingest import start_ingest
from plugin.tools.synthetic_slide import SyntheticSlide
from tests.dicom.scp.instances import empty_offset_table, rewrite, without
from tests.plugin.ingest.conftest import Ingest, StartIngest, wait_for
from tests.plugin.ingest.senders import send


def _state(ingest: Ingest) -> SlideState:
    (slide,) = ingest.rows(Slide)
    return SlideState(slide.state)


def test_without_image_type_the_quiet_period_completes_the_slide(
    start: StartIngest, slide: SyntheticSlide, tmp_path: Path
) -> None:
    ingest = start(slide_quiet_period_s=0.3)
    files = [rewrite(path, tmp_path / path.name, without("ImageType")) for path in slide.levels]
    assert send(ingest.port, files).codes == [0] * 4
    wait_for(lambda: _state(ingest) is SlideState.COMPLETE, "the quiet period to complete it")
    wait_for(lambda: ingest.count(Job) == 1, "its job")
    assert {row.image_type.value for row in ingest.rows(Instance)} == {"volume"}


def test_a_pyramid_without_its_base_is_complete_when_the_base_arrives(
    ingest: Ingest, slide: SyntheticSlide
) -> None:
    assert send(ingest.port, list(slide.levels[1:])).codes == [0, 0, 0]
    assert _state(ingest) is SlideState.RECEIVING
    assert ingest.count(Job) == 0
    assert send(ingest.port, [slide.levels[0]]).codes == [0]
    assert _state(ingest) is SlideState.COMPLETE
    assert ingest.count(Job) == 1


def test_non_conformant_variants_of_a_slide_are_accepted(
    ingest: Ingest, slide: SyntheticSlide, tmp_path: Path
) -> None:
    files = [
        rewrite(slide.levels[0], tmp_path / "0.dcm", empty_offset_table),
        rewrite(slide.levels[1], tmp_path / "1.dcm", without("PyramidUID", "PyramidLabel")),
        rewrite(slide.levels[2], tmp_path / "2.dcm", without("ContainerIdentifier")),
        rewrite(slide.levels[3], tmp_path / "3.dcm", without("PatientName", "AccessionNumber")),
    ]
    assert send(ingest.port, files).codes == [0] * 4
    assert _state(ingest) is SlideState.COMPLETE
    assert ingest.count(Job) == 1


def test_new_content_while_the_job_runs_is_queued_after_it(
    start: StartIngest, slide: SyntheticSlide
) -> None:
    ingest = start(slide_quiet_period_s=0.3)
    send(ingest.port, list(slide.levels[1:]))  # no base level: completes when quiet
    wait_for(lambda: ingest.count(Job) == 1, "the first job")
    with ingest.database.session() as session:
        lease = jobs.claim(session, "worker")
        session.commit()
    assert lease is not None
    assert send(ingest.port, [slide.levels[0]]).codes == [0]  # the pyramid is whole now
    assert ingest.count(Job) == 1  # never a second job while one runs
    with ingest.database.session() as session:
        jobs.mark_not_evaluable(session, lease, "finished for the test")
        session.commit()
    wait_for(lambda: ingest.count(Job) == 2, "the sweeper to queue the new content")
    newest = max(ingest.rows(Job), key=lambda job: job.id)
    assert newest.state is JobState.QUEUED


def test_start_up_removes_partial_and_unindexed_files_only(
    ingest: Ingest, slide: SyntheticSlide
) -> None:
    assert send(ingest.port, [slide.levels[3]]).codes == [0]
    ingest.service.stop()
    storage = ingest.settings.storage
    (indexed,) = ingest.files()[1]
    stray = indexed.parent / "1.2.826.0.1.3680043.10.1.999.dcm"
    stray.write_bytes(indexed.read_bytes())
    partial = storage.incoming_dir / "0123abcd.partial"
    partial.write_bytes(b"half an instance")
    service = start_ingest(ingest.settings, ingest.database)
    try:
        assert ingest.files() == ([], [indexed])
    finally:
        service.stop()
