"""Receiving slides from real senders: stored, indexed, completed, one job; duplicates."""

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pydicom import dcmread
from pynetdicom import AE

from db import jobs
from db.models import Instance, Job, JobState, Slide, SlideState
from dicom.scp import StoreStatus
from plugin.tools.synthetic_slide import SyntheticSlide
from tests.dicom.scp.instances import WSI, changed, renamed, rewrite
from tests.plugin.ingest.conftest import Ingest, StartIngest, wait_for
from tests.plugin.ingest.senders import HOST, SCP_TITLE, echo, send, storescu

T = TypeVar("T")


def _all_files(slide: SyntheticSlide) -> list[Path]:
    return [*slide.levels, *slide.extras]


def _data_set_bytes(path: Path) -> bytes:
    """The file without its preamble and File Meta Information (the data set as sent)."""
    meta = dcmread(path, stop_before_pixels=True).file_meta
    start = 132 + 12 + int(meta.FileMetaInformationGroupLength)
    return path.read_bytes()[start:]


def _assert_slide_stored(ingest: Ingest, slide: SyntheticSlide) -> None:
    assert ingest.counts() == (1, 1, 6, 1)
    (stored_slide,) = ingest.rows(Slide)
    assert stored_slide.state is SlideState.COMPLETE
    assert stored_slide.series_instance_uid == slide.series_uid
    (job,) = ingest.rows(Job)
    assert (job.state, job.content_key) == (JobState.QUEUED, stored_slide.content_digest)
    incoming, stored = ingest.files()
    assert incoming == []
    assert len(stored) == 6
    for instance in ingest.rows(Instance):
        path = Path(instance.path)
        assert path.parent.name == slide.series_uid
        assert path.name == f"{instance.sop_instance_uid}.dcm"
        assert instance.size_bytes == path.stat().st_size
    for original in _all_files(slide):
        uid = dcmread(original, stop_before_pixels=True).SOPInstanceUID
        copy = ingest.settings.storage.slides_dir / slide.series_uid / f"{uid}.dcm"
        assert _data_set_bytes(copy) == _data_set_bytes(original)


def test_storescu_sends_a_slide_that_is_stored_indexed_and_queued(
    ingest: Ingest, slide: SyntheticSlide
) -> None:
    result = storescu(ingest.port, _all_files(slide))
    assert result.returncode == 0, result.stderr
    _assert_slide_stored(ingest, slide)


def test_pynetdicom_sends_a_slide_and_hears_success_for_each_instance(
    ingest: Ingest, slide: SyntheticSlide
) -> None:
    delivery = send(ingest.port, _all_files(slide))
    assert delivery.codes == [StoreStatus.SUCCESS] * 6
    _assert_slide_stored(ingest, slide)


def test_c_echo_answers_success(ingest: Ingest) -> None:
    assert echo(ingest.port) == 0


def test_a_slide_sent_again_creates_no_new_work(ingest: Ingest, slide: SyntheticSlide) -> None:
    assert send(ingest.port, _all_files(slide)).codes == [0] * 6
    (job,) = ingest.rows(Job)
    assert storescu(ingest.port, _all_files(slide)).returncode == 0
    assert send(ingest.port, _all_files(slide)).codes == [0] * 6
    assert ingest.counts() == (1, 1, 6, 1)
    assert ingest.rows(Job)[0].id == job.id


def test_changed_content_under_a_stored_uid_is_refused_and_the_first_kept(
    ingest: Ingest, slide: SyntheticSlide, tmp_path: Path
) -> None:
    send(ingest.port, _all_files(slide))
    before = {row.sop_instance_uid: row.digest for row in ingest.rows(Instance)}
    other = rewrite(slide.levels[1], tmp_path / "changed.dcm", changed)
    (status,) = send(ingest.port, [other]).statuses
    assert status.Status == StoreStatus.DUPLICATE_SOP_INSTANCE
    assert "kept the first" in status.ErrorComment
    assert {row.sop_instance_uid: row.digest for row in ingest.rows(Instance)} == before
    assert ingest.counts() == (1, 1, 6, 1)
    assert ingest.files()[0] == []


def test_the_same_slide_from_four_senders_at_once_is_stored_once(
    ingest: Ingest, slide: SyntheticSlide
) -> None:
    deliveries = _concurrently(lambda: send(ingest.port, _all_files(slide)), 4)
    assert [delivery.codes for delivery in deliveries] == [[0] * 6] * 4
    assert ingest.counts() == (1, 1, 6, 1)
    assert ingest.files()[0] == []


def test_twenty_concurrent_associations_each_store_their_slide(
    start: StartIngest, slide: SyntheticSlide, tmp_path: Path
) -> None:
    ingest = start(max_associations=20)
    study = "1.2.826.0.1.3680043.10.1.77"
    copies = [
        renamed(slide.levels[3], tmp_path / f"{n}.dcm", study=study, series=f"{study}.{n}")
        for n in range(20)
    ]
    barrier = threading.Barrier(20)

    def sender(path: Path) -> list[int]:
        barrier.wait()
        return send(ingest.port, [path]).codes

    results = _concurrently_each(sender, copies)
    assert results == [[0]] * 20
    assert ingest.counts()[:3] == (1, 20, 20)


def test_a_new_level_after_the_job_finished_is_new_content(
    ingest: Ingest, slide: SyntheticSlide, tmp_path: Path
) -> None:
    send(ingest.port, _all_files(slide))
    with ingest.database.session() as session:
        lease = jobs.claim(session, "worker")
        assert lease is not None
        jobs.mark_not_evaluable(session, lease, "finished for the test")
        session.commit()
    extra = renamed(
        slide.levels[3], tmp_path / "extra.dcm", study=slide.study_uid, series=slide.series_uid
    )
    assert send(ingest.port, [extra]).codes == [0]
    finished, new = sorted(ingest.rows(Job), key=lambda job: job.id)
    assert finished.id == lease.job_id and new.state is JobState.QUEUED
    assert new.content_key != finished.content_key


def _concurrently(task: Callable[[], T], count: int) -> list[T]:
    return _concurrently_each(lambda _: task(), list(range(count)))


def _concurrently_each(task: Callable[[Any], T], items: list[Any]) -> list[T]:
    """Run `task` on each item, each on its own thread; the results in order."""
    results: list[Any] = [None] * len(items)

    def run(index: int) -> None:
        results[index] = task(items[index])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(items))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_an_identical_copy_restores_a_stored_file_that_went_missing(
    ingest: Ingest, slide: SyntheticSlide
) -> None:
    send(ingest.port, _all_files(slide))
    lost = ingest.files()[1][0]
    lost.unlink()
    assert send(ingest.port, _all_files(slide)).codes == [0] * 6
    assert lost.exists()
    assert ingest.counts() == (1, 1, 6, 1)


def test_what_an_aborted_association_stored_still_completes_its_slide(
    ingest: Ingest, slide: SyntheticSlide
) -> None:
    entity = AE(ae_title="ABORTER")
    entity.add_requested_context(WSI, "1.2.840.10008.1.2.4.50")
    association = entity.associate(HOST, ingest.port, ae_title=SCP_TITLE)
    assert [int(association.send_c_store(path).Status) for path in _all_files(slide)] == [0] * 6
    association.abort()
    wait_for(lambda: ingest.count(Job) == 1, "the slide's job")
    assert ingest.rows(Slide)[0].state is SlideState.COMPLETE
