"""The tables of PathSentry, as SQLAlchemy 2 typed declarative models."""

from config.kinds import ImageType, ResultFileKind
from db.models.access import ApiToken, AuditEvent
from db.models.base import Base, UtcDateTime, utcnow
from db.models.cases import Case, Instance, Slide
from db.models.enums import (
    ExportState,
    JobState,
    QualityOutcome,
    ReviewDecision,
    Role,
    SlideState,
)
from db.models.jobs import Job
from db.models.results import Export, ExportAttempt, Result, ResultFile
from db.models.reviews import Review

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Base",
    "Case",
    "Export",
    "ExportAttempt",
    "ExportState",
    "ImageType",
    "Instance",
    "Job",
    "JobState",
    "QualityOutcome",
    "Result",
    "ResultFile",
    "ResultFileKind",
    "Review",
    "ReviewDecision",
    "Role",
    "Slide",
    "SlideState",
    "UtcDateTime",
    "utcnow",
]
