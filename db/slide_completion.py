"""When a slide is complete, and the one analysis job that its content gets. Works inside the
caller's transaction and never commits.

A slide is complete when its pyramid is (the caller judges that from the instances' headers)
or when nothing arrived for the quiet period. Completion records the slide's content key: a
digest of its analysed images (volume and thumbnail instances; a late label or overview
changes nothing). Then `ensure_job` keeps one rule: exactly one job per content key of a slide,
and never a second job while one is queued or running. A queued job takes the newer content
(it has not read anything yet); a running one finishes first, and the sweeper queues the newer
content after it (`slides_awaiting_job`).

A slide completed by its quiet period without any volume image (only its label or overview came,
say because the forwarding PACS failed mid-way) has nothing to analyse: it is incomplete and
needs a person (`missing_images` says what is missing). If the rest arrives later, the slide is
receiving again and completes as usual.
"""

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db import jobs
from db.models import ImageType, Instance, Job, JobState, Slide, SlideState, utcnow

ANALYSED_IMAGES = (ImageType.VOLUME, ImageType.THUMBNAIL)
ACTIVE_STATES = (JobState.QUEUED, JobState.RUNNING)


def receiving_slide(session: Session, series_instance_uid: str) -> int | None:
    """The id of the slide of this series if it is still receiving, locked (PostgreSQL) so
    that two judges of one slide take turns."""
    query = (
        sa.select(Slide.id)
        .where(Slide.series_instance_uid == series_instance_uid)
        .where(Slide.state == SlideState.RECEIVING)
        .with_for_update()
    )
    return session.scalars(query).first()


def slide_instances(session: Session, slide_id: int) -> list[Instance]:
    """Every instance of the slide (for the caller's pyramid rule)."""
    return list(session.scalars(sa.select(Instance).where(Instance.slide_id == slide_id)))


def content_key(instances: Sequence[Instance]) -> str | None:
    """SHA-256 over the (UID, digest) of the analysed images; None when there is no volume."""
    analysed = sorted(
        (i.sop_instance_uid, i.digest) for i in instances if i.image_type in ANALYSED_IMAGES
    )
    if not any(i.image_type is ImageType.VOLUME for i in instances):
        return None
    digest = hashlib.sha256()
    for uid, instance_digest in analysed:
        digest.update(f"{uid}:{instance_digest}\n".encode())
    return digest.hexdigest()


def missing_images(image_types: Iterable[ImageType]) -> str | None:
    """What a slide with images of these types lacks for analysis; None when nothing."""
    present = set(image_types)
    if ImageType.VOLUME in present:
        return None
    got = ", ".join(sorted(kind.value for kind in present)) or "nothing"
    return f"no volume images received; got: {got}"


def missing_images_of(session: Session, slide_ids: Sequence[int]) -> dict[int, str]:
    """For each of these slides that lacks images for analysis, what it lacks."""
    if not slide_ids:
        return {}
    query = (
        sa.select(Slide.id, Instance.image_type)
        .outerjoin(Instance, Instance.slide_id == Slide.id)
        .where(Slide.id.in_(slide_ids))
    )
    types: dict[int, list[ImageType]] = {slide_id: [] for slide_id in slide_ids}
    for slide_id, image_type in session.execute(query):
        if image_type is not None:
            types[slide_id].append(ImageType(image_type))
    missing = {slide_id: missing_images(kinds) for slide_id, kinds in types.items()}
    return {slide_id: text for slide_id, text in missing.items() if text is not None}


def complete_slide(
    session: Session,
    slide_id: int,
    *,
    quiet_since: datetime | None = None,
    now: datetime | None = None,
) -> bool:
    """Mark the slide complete with its content key; False when it was not receiving.

    With `quiet_since`, only if nothing arrived since then (the check and the update are one
    statement, so an instance indexed meanwhile keeps the slide receiving).
    """
    now = now or utcnow()
    key = content_key(slide_instances(session, slide_id))
    condition = sa.and_(Slide.id == slide_id, Slide.state == SlideState.RECEIVING)
    if quiet_since is not None:
        condition = sa.and_(condition, Slide.last_received_at < quiet_since)
    values = {"state": SlideState.COMPLETE, "completed_at": now, "content_digest": key}
    statement = sa.update(Slide).where(condition).values(values).returning(Slide.id)
    updated = session.execute(statement, execution_options={"synchronize_session": "fetch"})
    return updated.first() is not None


def ensure_job(session: Session, slide_id: int, *, max_attempts: int) -> Job | None:
    """The job for the complete slide's content: found, retargeted or queued; None while a job
    is running on older content (or the slide has nothing to analyse)."""
    slide = session.get(Slide, slide_id)
    if slide is None or slide.state is not SlideState.COMPLETE or slide.content_digest is None:
        return None
    key = slide.content_digest
    existing = list(session.scalars(sa.select(Job).where(Job.slide_id == slide_id)))
    same = [job for job in existing if job.content_key == key]
    if same:
        return same[0]
    if any(job.state in ACTIVE_STATES for job in existing):
        return _retarget_queued(session, slide_id, key)
    return jobs.enqueue(session, slide_id, key, max_attempts=max_attempts)


def quiet_slides(session: Session, *, quiet_since: datetime) -> list[int]:
    """Receiving slides that nothing arrived for since `quiet_since`."""
    query = sa.select(Slide.id).where(
        Slide.state == SlideState.RECEIVING, Slide.last_received_at < quiet_since
    )
    return list(session.scalars(query.order_by(Slide.id)))


def slides_awaiting_job(session: Session) -> list[int]:
    """Complete slides whose current content has no job yet (deferred, or interrupted)."""
    has_job = sa.exists().where(Job.slide_id == Slide.id, Job.content_key == Slide.content_digest)
    query = sa.select(Slide.id).where(
        Slide.state == SlideState.COMPLETE, Slide.content_digest.is_not(None), ~has_job
    )
    return list(session.scalars(query.order_by(Slide.id)))


def _retarget_queued(session: Session, slide_id: int, key: str) -> Job | None:
    """Give the slide's queued job the new content key; None if its job is running."""
    queued = sa.select(Job.id).where(Job.slide_id == slide_id, Job.state == JobState.QUEUED)
    newest = queued.order_by(Job.id.desc()).limit(1).scalar_subquery()
    statement = (
        sa.update(Job)
        .where(Job.id == newest, Job.state == JobState.QUEUED)
        .values(content_key=key)
        .returning(Job.id)
    )
    row = session.execute(statement, execution_options={"synchronize_session": "fetch"}).first()
    return None if row is None else session.get(Job, row.id)
