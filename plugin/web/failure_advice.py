"""What a failed or not-evaluable slide means for the pathologist, and what to do next."""

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class FailureAdvice:
    """A plain-language reason and the next step; the technical reason stays available."""

    plain: str
    next_step: str


_RULES: tuple[tuple[str, FailureAdvice], ...] = (
    (
        r"% evaluable, at least",
        FailureAdvice(
            "Too much of the tissue failed the quality checks for the AI to judge the slide.",
            "Look at the slide yourself; re-scan it (refocus, clean the glass, remove pen "
            "marks) to have it analysed.",
        ),
    ),
    (
        r"no pyramid level|magnification|finer \(finest",
        FailureAdvice(
            "The slide was scanned at too low a magnification for the analysis.",
            "Re-scan at 20x or finer and send it again.",
        ),
    ),
    (
        r"corrupt|decod|truncat|unreadable|cannot be read|not a readable|invalid|jpeg",
        FailureAdvice("Image data corrupt or unreadable.", "Re-scan or re-send the slide."),
    ),
    (
        r"spacing|calibrat",
        FailureAdvice(
            "The slide does not say its pixel size.",
            "Check the scanner's DICOM export settings, then re-send the slide.",
        ),
    ),
    (
        r"tissue",
        FailureAdvice(
            "No tissue was found on the slide.",
            "Check the glass slide; re-scan it if it holds tissue.",
        ),
    ),
    (
        r"worker|memory|cuda|crash|timed? ?out|stopped",
        FailureAdvice(
            "The analysis stopped because of a problem on the server.",
            "An administrator can retry the analysis.",
        ),
    ),
)
_UNKNOWN = FailureAdvice(
    "The analysis could not be completed.",
    "An administrator can retry the analysis; if it fails again, re-send the slide.",
)


def failure_advice(reason: str | None) -> FailureAdvice:
    """The advice for a job's technical failure reason (the first rule that matches)."""
    text = (reason or "").lower()
    for pattern, advice in _RULES:
        if re.search(pattern, text):
            return advice
    return _UNKNOWN
