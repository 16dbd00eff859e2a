"""The sweeper completes quiet slides; one whose volume images never came is flagged."""

import logging
from datetime import timedelta

import pytest

from db.models import ImageType, Instance, SlideState, utcnow
from db.session import Database
from db.worklist import SlideStatus, worklist
from plugin.ingest.sweeper import SlideSweeper
from tests.db.factories import add_case, add_slide, uid


def test_a_quiet_slide_of_only_a_label_and_an_overview_is_flagged_incomplete(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    with database.session() as session:
        slide = add_slide(session, add_case(session), state=SlideState.RECEIVING)
        slide.instances[0].image_type = ImageType.LABEL
        overview = Instance(**{**_columns(slide.instances[0]), "sop_instance_uid": uid(3)})
        overview.image_type = ImageType.OVERVIEW
        slide.instances.append(overview)
        session.commit()
        slide_id = slide.id
    sweeper = SlideSweeper(database, quiet_period=timedelta(minutes=2), max_attempts=3)
    with caplog.at_level(logging.INFO, logger="plugin.ingest.sweeper"):
        sweep = sweeper.sweep(now=utcnow() + timedelta(minutes=3))
    assert (sweep.completed, sweep.queued_jobs) == ((slide_id,), ())
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "no volume images received; got: label, overview" in warning
    with database.session() as session:
        (entry,) = worklist(session, 0.5).entries
    assert entry.needs_attention and entry.slides[0].status is SlideStatus.INCOMPLETE


def _columns(instance: Instance) -> dict[str, object]:
    keys = [c.key for c in Instance.__table__.columns if c.key not in ("id", "slide_id")]
    return {key: getattr(instance, key) for key in keys}
