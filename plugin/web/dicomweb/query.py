"""QIDO-RS query parameters (PS3.18 8.3.4): matching keys, includefield, limit and offset."""

import dataclasses
from dataclasses import dataclass, field

from pydicom.datadict import keyword_for_tag, tag_for_keyword

from db.holdings import HoldingsFilter

RESERVED = frozenset({"limit", "offset", "includefield", "fuzzymatching"})
MATCHING = {
    "study": {"StudyInstanceUID", "PatientID", "AccessionNumber", "StudyDate", "ModalitiesInStudy"},
    "series": {
        "StudyInstanceUID", "PatientID", "AccessionNumber", "StudyDate", "SeriesInstanceUID",
        "Modality",
    },
    "instance": {
        "StudyInstanceUID", "PatientID", "AccessionNumber", "StudyDate", "SeriesInstanceUID",
        "Modality", "SOPInstanceUID", "SOPClassUID",
    },
}  # fmt: skip
MAX_LIMIT = 1000


class QueryError(ValueError):
    """A query parameter that is neither a DICOM attribute nor a QIDO-RS parameter."""


@dataclass(frozen=True)
class Query:
    """A parsed search: what to match, what to add to each answer, which page."""

    keys: HoldingsFilter
    modality: tuple[str, ...] = ()
    sop_class_uids: tuple[str, ...] = ()
    include: frozenset[str] = frozenset()
    include_all: bool = False
    limit: int = MAX_LIMIT
    offset: int = 0
    ignored: tuple[str, ...] = field(default=())

    def first_page(self) -> "Query":
        """The same search with its paging already applied (by the database)."""
        return dataclasses.replace(self, offset=0)


def parse_query(level: str, pairs: list[tuple[str, str]], **fixed: str) -> Query:
    """The search of `level` from the URL's (name, value) pairs and the UIDs of its path."""
    values: dict[str, str] = dict(fixed)
    include: set[str] = set()
    include_all, limit, offset, ignored = False, MAX_LIMIT, 0, []
    for name, value in pairs:
        if name == "includefield":
            for item in value.split(","):
                include_all = include_all or item == "all"
                if item and item != "all":
                    include.add(_keyword(item))
        elif name in ("limit", "offset"):
            number = _count(name, value)
            limit, offset = (min(number, MAX_LIMIT), offset) if name == "limit" else (limit, number)
        elif name not in RESERVED:
            keyword = _keyword(name)
            if keyword in MATCHING[level]:
                values[keyword] = value
            else:
                ignored.append(keyword)
    return Query(
        keys=_filter(values),
        modality=_list(values.get("Modality") or values.get("ModalitiesInStudy")),
        sop_class_uids=_list(values.get("SOPClassUID")),
        include=frozenset(include),
        include_all=include_all,
        limit=limit,
        offset=offset,
        ignored=tuple(ignored),
    )


def _filter(values: dict[str, str]) -> HoldingsFilter:
    return HoldingsFilter(
        study_uids=_list(values.get("StudyInstanceUID")),
        series_uids=_list(values.get("SeriesInstanceUID")),
        sop_instance_uids=_list(values.get("SOPInstanceUID")),
        patient_id=values.get("PatientID") or None,
        accession_number=values.get("AccessionNumber") or None,
        study_date=values.get("StudyDate") or None,
    )


def _list(value: str | None) -> tuple[str, ...]:
    """A UID list or value list: comma or backslash separated (PS3.18 8.3.4.1)."""
    if not value:
        return ()
    return tuple(item.strip() for item in value.replace("\\", ",").split(",") if item.strip())


def _keyword(name: str) -> str:
    """A keyword from a keyword or an 8-digit tag; QueryError for anything else."""
    if tag_for_keyword(name) is not None:
        return name
    try:
        keyword = keyword_for_tag(int(name, 16)) if len(name) == 8 else ""
    except ValueError:
        keyword = ""
    if not keyword:
        raise QueryError(
            f"{name!r} is neither a DICOM attribute keyword or tag nor a QIDO-RS parameter"
        )
    return keyword


def _count(name: str, value: str) -> int:
    if not value.isdigit():
        raise QueryError(f"{name} must be a non-negative whole number, got {value!r}")
    return int(value)
