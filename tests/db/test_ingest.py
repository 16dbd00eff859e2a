"""Indexing received instances, the duplicate policy, slide completion and its one job."""

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import TypedDict

import sqlalchemy as sa

from db import jobs, slide_completion
from db.ingest import Recorded, indexed_paths, record_instance
from db.models import Case, ImageType, Instance, Job, JobState, Slide, SlideState, utcnow
from db.session import Database
from db.worklist import Priority, SlideStatus, WorklistSlide, worklist
from dicom.scp import ImageFields, ReceivedInstance, SlideFields, StoreRequest, StudyFields
from tests.db.factories import uid

T0 = utcnow()


def _values(
    study: str, series: str, sop: str, kind: ImageType = ImageType.VOLUME
) -> ReceivedInstance:
    request = StoreRequest(
        sop_class_uid="1.2.840.10008.5.1.4.1.1.77.1.6",
        sop_instance_uid=sop,
        transfer_syntax_uid="1.2.840.10008.1.2.4.50",
        calling_ae_title="SCANNER",
        peer="127.0.0.1",
    )
    image = ImageFields(
        image_type=kind,
        resampled=False,
        total_pixel_matrix_columns=1000,
        total_pixel_matrix_rows=800,
        number_of_frames=16,
    )
    return ReceivedInstance(
        request=request,
        study=StudyFields(study_instance_uid=study, accession_number="A1", patient_name="Doe^Jane"),
        slide=SlideFields(series_instance_uid=series),
        image=image,
        incoming_path=Path(f"/incoming/{sop}"),
        size_bytes=1000,
        digest=f"digest-of-{sop}",
    )


class _Place(TypedDict):
    storage_dir: str
    path: str


def _place(received: ReceivedInstance) -> _Place:
    """Where the index stores it: the slide's folder and the file in it."""
    series, sop = received.series_instance_uid, received.sop_instance_uid
    return {"storage_dir": f"/slides/{series}", "path": f"/slides/{series}/{sop}.dcm"}


def _record(database: Database, received: ReceivedInstance) -> Recorded:
    with database.session() as session:
        outcome = record_instance(session, received, **_place(received), now=T0)
        if outcome.recorded is Recorded.NEW:
            session.commit()
        return outcome.recorded


def _count(database: Database, model: type) -> int:
    with database.session() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def test_a_new_instance_creates_its_case_and_slide(database: Database) -> None:
    study, series, sop = uid(1), uid(2), uid(3)
    assert _record(database, _values(study, series, sop)) is Recorded.NEW
    with database.session() as session:
        slide = session.scalars(sa.select(Slide)).one()
        assert slide.series_instance_uid == series
        assert slide.state is SlideState.RECEIVING
        assert slide.case.study_instance_uid == study
        assert slide.case.patient_name == "Doe^Jane"
        instance = session.scalars(sa.select(Instance)).one()
        assert (instance.number_of_frames, instance.resampled) == (16, False)
        assert indexed_paths(session) == {f"/slides/{series}/{sop}.dcm"}


def test_instances_of_one_series_share_a_slide_and_a_case(database: Database) -> None:
    study, series = uid(1), uid(2)
    for _ in range(3):
        assert _record(database, _values(study, series, uid(3))) is Recorded.NEW
    assert (_count(database, Case), _count(database, Slide), _count(database, Instance)) == (
        1,
        1,
        3,
    )


def test_the_identical_instance_again_changes_nothing(database: Database) -> None:
    values = _values(uid(1), uid(2), uid(3))
    _record(database, values)
    assert _record(database, values) is Recorded.IDENTICAL
    assert _count(database, Instance) == 1


def test_other_content_under_the_same_uid_keeps_the_first(database: Database) -> None:
    received = _values(uid(1), uid(2), uid(3))
    _record(database, received)
    with database.session() as session:
        changed = replace(received, digest="other")
        outcome = record_instance(session, changed, **_place(changed))
    assert outcome.recorded is Recorded.CHANGED
    assert "kept the first" in (outcome.reason or "")
    with database.session() as session:
        assert session.scalars(sa.select(Instance.digest)).one() == received.digest


def test_a_series_under_another_study_is_refused(database: Database) -> None:
    series = uid(2)
    _record(database, _values(uid(1), series, uid(3)))
    with database.session() as session:
        misfiled = _values(uid(1), series, uid(3))
        outcome = record_instance(session, misfiled, **_place(misfiled))
        session.rollback()
    assert outcome.recorded is Recorded.MISFILED
    assert "another study" in (outcome.reason or "")
    assert _count(database, Case) == 1


def _complete(database: Database, slide_id: int) -> Job | None:
    with database.session() as session:
        assert slide_completion.complete_slide(session, slide_id, now=T0)
        job = slide_completion.ensure_job(session, slide_id, max_attempts=3)
        session.commit()
        return job


def _slide_id(database: Database) -> int:
    with database.session() as session:
        return int(session.scalars(sa.select(Slide.id)).one())


def test_completion_queues_one_job_for_the_content(database: Database) -> None:
    study, series = uid(1), uid(2)
    _record(database, _values(study, series, uid(3)))
    slide_id = _slide_id(database)
    job = _complete(database, slide_id)
    assert job is not None and job.state is JobState.QUEUED
    with database.session() as session:
        assert slide_completion.ensure_job(session, slide_id, max_attempts=3).id == job.id  # type: ignore[union-attr]
        assert slide_completion.slides_awaiting_job(session) == []
    assert _count(database, Job) == 1


def test_a_label_after_completion_changes_no_content(database: Database) -> None:
    study, series = uid(1), uid(2)
    _record(database, _values(study, series, uid(3)))
    first = _complete(database, _slide_id(database))
    _record(database, _values(study, series, uid(3), ImageType.LABEL))
    second = _complete(database, _slide_id(database))
    assert first is not None and second is not None and first.id == second.id


def test_new_content_retargets_a_queued_job(database: Database) -> None:
    study, series = uid(1), uid(2)
    _record(database, _values(study, series, uid(3)))
    first = _complete(database, _slide_id(database))
    _record(database, _values(study, series, uid(3)))
    second = _complete(database, _slide_id(database))
    assert first is not None and second is not None
    assert second.id == first.id and second.content_key != first.content_key
    assert _count(database, Job) == 1


def test_new_content_waits_for_a_running_job_then_gets_its_own(database: Database) -> None:
    study, series = uid(1), uid(2)
    _record(database, _values(study, series, uid(3)))
    slide_id = _slide_id(database)
    _complete(database, slide_id)
    with database.session() as session:
        lease = jobs.claim(session, "worker")
        session.commit()
    assert lease is not None
    _record(database, _values(study, series, uid(3)))
    assert _complete(database, slide_id) is None  # never a second job while one runs
    with database.session() as session:
        assert slide_completion.slides_awaiting_job(session) == [slide_id]
        jobs.mark_not_evaluable(session, lease, "done for the test")
        job = slide_completion.ensure_job(session, slide_id, max_attempts=3)
        session.commit()
    assert job is not None and job.state is JobState.QUEUED and job.id != lease.job_id
    assert _count(database, Job) == 2


def test_a_slide_without_volume_images_has_nothing_to_analyse(database: Database) -> None:
    _record(database, _values(uid(1), uid(2), uid(3), ImageType.LABEL))
    assert _complete(database, _slide_id(database)) is None
    assert _count(database, Job) == 0


def _worklist_slide(database: Database) -> tuple[Priority, WorklistSlide]:
    with database.session() as session:
        (entry,) = worklist(session, 0.5).entries
    return entry.priority, entry.slides[0]


def test_a_slide_without_volume_images_is_incomplete_until_they_arrive(
    database: Database,
) -> None:
    study, series = uid(1), uid(2)
    _record(database, _values(study, series, uid(3), ImageType.OVERVIEW))
    _record(database, _values(study, series, uid(3), ImageType.LABEL))
    slide_id = _slide_id(database)
    assert _complete(database, slide_id) is None
    priority, slide = _worklist_slide(database)
    assert (priority, slide.status, slide.needs_attention) == (
        Priority.ATTENTION,
        SlideStatus.INCOMPLETE,
        True,
    )
    assert slide.reason == "no volume images received; got: label, overview"
    _record(database, _values(study, series, uid(3)))  # the rest arrives after all
    assert _worklist_slide(database)[1].status is SlideStatus.RECEIVING
    job = _complete(database, slide_id)
    assert job is not None and job.state is JobState.QUEUED
    priority, slide = _worklist_slide(database)
    assert (priority, slide.status, slide.reason) == (Priority.ANALYSING, SlideStatus.QUEUED, None)


def test_missing_images_names_what_came() -> None:
    assert slide_completion.missing_images([]) == "no volume images received; got: nothing"
    assert slide_completion.missing_images([ImageType.VOLUME, ImageType.LABEL]) is None


def test_quiet_completion_only_completes_slides_that_stayed_quiet(database: Database) -> None:
    _record(database, _values(uid(1), uid(2), uid(3)))
    slide_id = _slide_id(database)
    with database.session() as session:
        assert slide_completion.quiet_slides(session, quiet_since=T0) == []
        later = T0 + timedelta(seconds=61)
        assert slide_completion.quiet_slides(session, quiet_since=later) == [slide_id]
        assert not slide_completion.complete_slide(session, slide_id, quiet_since=T0)
        assert slide_completion.complete_slide(session, slide_id, quiet_since=later)
        session.commit()
    with database.session() as session:
        assert session.get(Slide, slide_id).state is SlideState.COMPLETE  # type: ignore[union-attr]
