"""Kinds (and the image header) that both db, which stores them, and dicom, which reads and
writes them, name.

They live here because the folder rule lets both import config and nothing else of each other.
"""

import enum
from typing import Protocol


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
    BINARY_SEGMENTATION = "binary_segmentation"
    ANNOTATIONS = "annotations"
    REPORT = "report"


class ImageHeader(Protocol):
    """What the index records of a received image and the pyramid rule judges: its type, size
    and place in a concatenation. A received image (dicom.scp.ImageFields) and an indexed one
    (db's instance row) both satisfy it."""

    @property
    def image_type(self) -> ImageType: ...
    @property
    def resampled(self) -> bool | None: ...
    @property
    def total_pixel_matrix_columns(self) -> int | None: ...
    @property
    def total_pixel_matrix_rows(self) -> int | None: ...
    @property
    def number_of_frames(self) -> int | None: ...
    @property
    def concatenation_uid(self) -> str | None: ...
    @property
    def concatenation_number(self) -> int | None: ...
    @property
    def concatenation_total(self) -> int | None: ...
