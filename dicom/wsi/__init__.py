"""Synthetic slides written as DICOM VL Whole Slide Microscopy pyramids."""

from dicom.wsi.errors import SlideWriteError
from dicom.wsi.geometry import ImageGeometry, PyramidSpec
from dicom.wsi.identity import SlideIdentity, synthetic_identity
from dicom.wsi.label import make_label_image
from dicom.wsi.writer import BaseRegionRenderer, write_pyramid

__all__ = [
    "BaseRegionRenderer",
    "ImageGeometry",
    "PyramidSpec",
    "SlideIdentity",
    "SlideWriteError",
    "make_label_image",
    "synthetic_identity",
    "write_pyramid",
]
