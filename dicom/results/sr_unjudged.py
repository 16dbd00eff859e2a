"""The report of a slide the AI could not judge (not evaluable, or its analysis failed): a TID
1500 report whose only group says so, with the reason in words and no measurement, so that a
PACS user can tell "no AI result" from "not analysed yet". No segmentation goes with it."""

import datetime
import enum
import logging
from dataclasses import dataclass
from pathlib import Path

import highdicom as hd
from pydicom.dataset import Dataset

from config.kinds import ResultFileKind
from dicom.atomic_file import write_dataset
from dicom.results.codes import (
    COMMENT,
    FAILED,
    MALIGNANT_NEOPLASM,
    MORPHOLOGICALLY_ABNORMAL_STRUCTURE,
    NOT_EVALUABLE,
    PATHOLOGY,
)
from dicom.results.errors import ResultWriteError
from dicom.results.provenance import (
    ResultIdentity,
)
from dicom.results.source_header import with_empty_type_2
from dicom.results.sr import measurement_report
from dicom.results.sr_groups import algorithm_identification
from dicom.results.written_file import WrittenFile

log = logging.getLogger(__name__)

UNJUDGED_REPORT_FILE = "sr-unjudged.dcm"
# A Text Value (UT) may be long, but a reader's line should not be.
MAX_REASON_LENGTH = 1024


class Verdict(enum.StrEnum):
    """Why there is no score: the slide cannot be judged, or its analysis failed for good."""

    NOT_EVALUABLE = "not evaluable"
    FAILED = "failed"

    @property
    def concept(self) -> hd.sr.CodedConcept:
        return NOT_EVALUABLE if self is Verdict.NOT_EVALUABLE else FAILED


@dataclass(frozen=True)
class Unjudged:
    """A slide without a score: the verdict and the reason in words (no patient data)."""

    verdict: Verdict
    reason: str

    def __post_init__(self) -> None:
        if not self.reason.strip():
            raise ResultWriteError("an unjudged slide's report needs the reason in words; got none")


def write_unjudged_report(
    out_dir: Path,
    level: Dataset,
    unjudged: Unjudged,
    identity: ResultIdentity,
    analysis_time: datetime.datetime,
) -> WrittenFile:
    """Writes sr-unjudged.dcm for the slide whose (any) level header is `level`; returns it.

    Its UIDs derive from the identity and the verdict, so the same outcome for the same content
    and model gives the same object, and it never replaces a scored report.
    """
    if identity.source_series_uid != level.SeriesInstanceUID:
        raise ResultWriteError(
            "the result identity names another slide (series) than the level given; "
            "pass the level and identity of the same slide"
        )
    report = _report(with_empty_type_2(level), unjudged, identity, analysis_time)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / UNJUDGED_REPORT_FILE
    write_dataset(report, path)
    log.info("wrote the report of a slide the AI could not judge (%s)", unjudged.verdict.value)
    return WrittenFile.of(ResultFileKind.REPORT, report, path)


def series_description(verdict: Verdict) -> str:
    """What a PACS series list shows: that the AI gave no score, and why in one word."""
    return f"AI: {verdict.value} (unverified)"


def _report(
    level: Dataset, unjudged: Unjudged, identity: ResultIdentity, when: datetime.datetime
) -> hd.sr.Comprehensive3DSR:
    verdict = unjudged.verdict.value
    return measurement_report(
        level,
        [_verdict_group(level, unjudged, identity)],
        identity,
        when,
        evidence=[level],
        uids=(identity.uid("sr", "series", verdict), identity.uid("sr", "instance", verdict)),
        description=series_description(unjudged.verdict),
    )


def _verdict_group(
    level: Dataset, unjudged: Unjudged, identity: ResultIdentity
) -> hd.sr.MeasurementsAndQualitativeEvaluations:
    """The whole slide: Pathology = the verdict, and a Comment with the reason."""
    group = hd.sr.MeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(
            uid=identity.uid("sr", "tracking", "slide", unjudged.verdict.value),
            identifier="Whole slide",
        ),
        finding_category=MORPHOLOGICALLY_ABNORMAL_STRUCTURE,
        finding_type=MALIGNANT_NEOPLASM,
        algorithm_id=algorithm_identification(identity.algorithm, with_parameters=True),
        source_images=[hd.sr.SourceImageForMeasurementGroup.from_source_image(level)],
        qualitative_evaluations=[hd.sr.QualitativeEvaluation(PATHOLOGY, unjudged.verdict.concept)],
    )
    reason = unjudged.reason.strip()[:MAX_REASON_LENGTH]
    group[0].ContentSequence.append(
        hd.sr.TextContentItem(
            name=COMMENT, value=reason, relationship_type=hd.sr.RelationshipTypeValues.CONTAINS
        )
    )
    return group
