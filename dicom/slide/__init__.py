"""A slide opened from its DICOM WSM files, tolerant of what real scanners and converters write."""

from dicom.slide.errors import NoSlideError, SlideError, SlideReadError
from dicom.slide.reading_settings import wsidicom_settings
from dicom.slide.slide import SlideLevel, WholeSlideImage

__all__ = [
    "NoSlideError",
    "SlideError",
    "SlideLevel",
    "SlideReadError",
    "WholeSlideImage",
    "wsidicom_settings",
]
