"""The enumerated values stored in the database (as their lower-case string values)."""

import enum


class SlideState(enum.StrEnum):
    """Whether a slide's instances are still arriving."""

    RECEIVING = "receiving"
    COMPLETE = "complete"


class JobState(enum.StrEnum):
    """Where an analysis job stands; the last four are final."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    NOT_EVALUABLE = "not_evaluable"
    CANCELLED = "cancelled"


class QualityOutcome(enum.StrEnum):
    """What the quality gate decided about a slide."""

    CLEAN = "clean"  # all tissue analysed
    EXCLUDED = "excluded"  # scored, with some tissue left out (the result warns)
    NOT_EVALUABLE = "not_evaluable"  # too little evaluable tissue: no score


class ExportState(enum.StrEnum):
    """Delivery of one result to one destination."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class ReviewDecision(enum.StrEnum):
    """A pathologist's reading of a case."""

    MALIGNANT = "malignant"
    BENIGN = "benign"
    NEEDS_IHC = "needs_ihc"


class Role(enum.StrEnum):
    """What a token may do: viewers read, pathologists also review, admins also operate."""

    VIEWER = "viewer"
    PATHOLOGIST = "pathologist"
    ADMIN = "admin"

    def allows(self, needed: "Role") -> bool:
        """Whether this role includes the rights of `needed`."""
        order = list(Role)
        return order.index(self) >= order.index(needed)
