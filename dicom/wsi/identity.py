"""The clearly fake patient, study, series and specimen identity of a synthetic slide."""

import datetime
import hashlib
import re
from dataclasses import dataclass

from dicom.uids import derived_uid
from dicom.wsi.errors import SlideWriteError

_CASE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,11}$")
# The kind ends up in Series Description (LO, 64 characters, no backslash).
_KIND = re.compile(r"^[A-Za-z0-9 _.()-]{0,24}$")
_MAX_SEED = 10**12
# Synthetic studies are dated in the 2000s, a decade no real PathSentry data can come from.
_FIRST_STUDY_DATE = datetime.date(2000, 1, 3)
_STUDY_DATE_SPAN_DAYS = 3650


@dataclass(frozen=True)
class SlideIdentity:
    """Who and what a slide claims to be: every value is synthetic and says so."""

    seed: int
    case: str
    kind: str
    patient_name: str
    patient_id: str
    patient_birth_date: str
    patient_sex: str
    study_uid: str
    study_id: str
    accession_number: str
    study_datetime: datetime.datetime
    study_description: str
    series_uid: str
    series_number: int
    series_description: str
    frame_of_reference_uid: str
    pyramid_uid: str
    container_id: str
    specimen_id: str
    specimen_uid: str
    acquisition_datetime: datetime.datetime

    def instance_uid(self, role: str) -> str:
        """The SOP Instance UID of one image of this slide (for example "level-0", "label")."""
        return derived_uid(self.series_uid, "instance", role)


def synthetic_identity(seed: int, case: str | None = None, kind: str = "") -> SlideIdentity:
    """A deterministic fake identity: slides of one `case` share a study, seeds differ per slide.

    `kind` (for example "malignant") goes into the series description and the series UIDs, so
    two kinds made with one seed never collide.
    """
    case = _checked_case(seed, case)
    if not _KIND.match(kind):
        raise SlideWriteError(
            f"kind must be at most 24 letters, digits, spaces or _.()-; got {kind!r}"
        )
    study_datetime = _study_datetime(case)
    series_uid = derived_uid("synthetic-slide", case, seed, kind, "series")
    return SlideIdentity(
        seed=seed,
        case=case,
        kind=kind,
        patient_name=f"SYNTHETIC^CASE {case}",
        patient_id=f"SYN-P-{case}",
        patient_birth_date="",
        patient_sex="O",
        study_uid=derived_uid("synthetic-case", case, "study"),
        study_id=f"SYN-{case}",
        accession_number=f"SYN-{case}",
        study_datetime=study_datetime,
        study_description="SYNTHETIC PathSentry test case (not a real patient)",
        series_uid=series_uid,
        series_number=1 + seed % 100_000,
        series_description=f"SYNTHETIC H&E slide {seed}" + (f" ({kind})" if kind else ""),
        frame_of_reference_uid=derived_uid(series_uid, "frame-of-reference"),
        pyramid_uid=derived_uid(series_uid, "pyramid"),
        container_id=f"SYN-SLIDE-{case}-{seed}",
        specimen_id=f"SYN-SPEC-{case}-{seed}",
        specimen_uid=derived_uid(series_uid, "specimen"),
        acquisition_datetime=study_datetime + datetime.timedelta(minutes=10 + seed % 600),
    )


def _checked_case(seed: int, case: str | None) -> str:
    """The case, by default the seed written with at least four digits."""
    if not 0 <= seed < _MAX_SEED:
        raise SlideWriteError(f"seed must be 0 to {_MAX_SEED - 1}; got {seed}")
    case = f"{seed:04d}" if case is None else case
    if not _CASE.match(case):
        raise SlideWriteError(
            f"case must be 1 to 12 letters, digits or '-' (starting with a letter or digit); "
            f"got {case!r}"
        )
    return case


def _study_datetime(case: str) -> datetime.datetime:
    """A fake study date and time that depends on the case alone."""
    digest = int.from_bytes(hashlib.sha256(case.encode()).digest()[:8], "big")
    day = _FIRST_STUDY_DATE + datetime.timedelta(days=digest % _STUDY_DATE_SPAN_DAYS)
    return datetime.datetime.combine(day, datetime.time(8 + digest % 8, digest % 60))
