"""A labelled set of slides from a CSV: slide, label, and optionally scanner, site, date, score.

`slide` is a slide folder (relative paths are read from the CSV's folder); `label` is
malignant or benign (also 1/0, positive/negative, true/false, tumor/normal); `date` is an
ISO date (2017-06-30) or date and time; a `score` column, when given, is used instead of
running the model (for scores exported from the worklist).
"""

import csv
import datetime
from dataclasses import dataclass
from pathlib import Path

from config import PathSentryError

MALIGNANT_WORDS = ("malignant", "1", "positive", "true", "yes", "tumor", "tumour", "cancer")
BENIGN_WORDS = ("benign", "0", "negative", "false", "no", "normal")
PERIODS = ("week", "month", "quarter", "year")


class EvaluationSetError(PathSentryError):
    """The labelled set cannot be read."""


@dataclass(frozen=True)
class LabelledSlide:
    """One row of the set."""

    slide: Path
    malignant: bool
    scanner: str | None = None
    site: str | None = None
    date: datetime.date | None = None
    score: float | None = None


def read_evaluation_set(path: Path) -> list[LabelledSlide]:
    """The rows of a labelled-set CSV (header row required; columns in any order)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise EvaluationSetError(f"cannot read {path}: {error}") from None
    if not rows:
        raise EvaluationSetError(f"{path} has no slides: it needs a header and one row per slide")
    columns = {name.strip().lower() for name in rows[0] if name}
    missing = {"slide", "label"} - columns
    if missing:
        raise EvaluationSetError(f"{path} lacks the column(s) {', '.join(sorted(missing))}")
    return [_row(path, number, row) for number, row in enumerate(rows, start=2)]


def period_of(date: datetime.date, period: str) -> str:
    """The name of the period a date falls in: 2017-W26, 2017-06, 2017-Q2 or 2017."""
    if period == "week":
        year, week, _ = date.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return f"{date.year}-{date.month:02d}"
    if period == "quarter":
        return f"{date.year}-Q{(date.month - 1) // 3 + 1}"
    if period == "year":
        return str(date.year)
    raise EvaluationSetError(f"unknown period {period!r}; use one of {', '.join(PERIODS)}")


def _row(path: Path, number: int, raw: dict[str, str | None]) -> LabelledSlide:
    row = {(key or "").strip().lower(): (value or "").strip() for key, value in raw.items()}
    where = f"{path}, line {number}"
    if not row["slide"]:
        raise EvaluationSetError(f"{where}: the slide column is empty")
    slide = Path(row["slide"]).expanduser()
    return LabelledSlide(
        slide=slide if slide.is_absolute() else path.parent / slide,
        malignant=_label(row["label"], where),
        scanner=row.get("scanner") or None,
        site=row.get("site") or None,
        date=_date(row.get("date") or "", where),
        score=_score(row.get("score") or "", where),
    )


def _label(value: str, where: str) -> bool:
    word = value.lower()
    if word in MALIGNANT_WORDS:
        return True
    if word in BENIGN_WORDS:
        return False
    raise EvaluationSetError(f"{where}: label {value!r} is neither malignant nor benign")


def _date(value: str, where: str) -> datetime.date | None:
    if not value:
        return None
    try:
        return datetime.datetime.fromisoformat(value).date()
    except ValueError:
        raise EvaluationSetError(
            f"{where}: date {value!r} is not an ISO date (2017-06-30)"
        ) from None


def _score(value: str, where: str) -> float | None:
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise EvaluationSetError(f"{where}: score {value!r} is not a number") from None
