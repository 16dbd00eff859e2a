"""Kinds that both db (which stores them) and dicom (which reads and writes them) name.

They live here because the folder rule lets both import config and nothing else of each other.
"""

import enum


class ImageType(enum.StrEnum):
    """The kind of a whole-slide image instance: the third value of DICOM Image Type, in lower
    case as the index stores it."""

    VOLUME = "volume"
    LABEL = "label"
    OVERVIEW = "overview"
    THUMBNAIL = "thumbnail"
    OTHER = "other"


class ResultFileKind(enum.StrEnum):
    """What a DICOM file PathSentry wrote for a result is."""

    SEGMENTATION = "segmentation"
    REPORT = "report"
