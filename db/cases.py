"""Case and slide detail: everything the case page shows, loaded in a few queries."""

from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.interfaces import ORMOption

from db.errors import NotFoundError
from db.models import Case, Export, Job, Result, Slide


def load_case(session: Session, case_id: int) -> Case:
    """The case with its slides, their jobs, results, exports and attempts, and its reviews."""
    outputs = (
        selectinload(Case.slides)
        .selectinload(Slide.jobs)
        .selectinload(Job.result)
        .selectinload(Result.exports)
        .selectinload(Export.attempt_log)
    )
    case = session.get(Case, case_id, options=[outputs, selectinload(Case.reviews)])
    if case is None:
        raise NotFoundError("case", case_id)
    return case


def load_slide(session: Session, slide_id: int) -> Slide:
    """The slide with its instances, jobs, results and exports."""
    outputs = (
        selectinload(Slide.jobs)
        .selectinload(Job.result)
        .selectinload(Result.exports)
        .selectinload(Export.attempt_log)
    )
    options: list[ORMOption] = [outputs, selectinload(Slide.instances)]
    slide = session.get(Slide, slide_id, options=options)
    if slide is None:
        raise NotFoundError("slide", slide_id)
    return slide


def current_job(slide: Slide) -> Job | None:
    """The newest job of the slide: the one whose state and result count."""
    return max(slide.jobs, key=lambda job: job.id, default=None)


def current_result(slide: Slide) -> Result | None:
    """The result of the slide's current job, if it has one."""
    job = current_job(slide)
    return None if job is None else job.result
