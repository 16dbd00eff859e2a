"""Label and overview images: one frame each, with the geometry of what they show."""

import numpy as np

from dicom.wsi.errors import SlideWriteError
from dicom.wsi.geometry import ImageGeometry
from dicom.wsi.image_modules import (
    LABEL_AREA_MM,
    ImageDescription,
    ImageFlavor,
    volume_origin_mm,
)

# One JPEG frame; larger label or overview images would need tiling.
MAX_SINGLE_FRAME_SIDE = 16384


def single_frame_image(
    role: str, flavor: ImageFlavor, pixels: np.ndarray, base: ImageGeometry, instance_number: int
) -> ImageDescription:
    """A label (a 25 mm square at the slide's end) or an overview (the scanned area)."""
    height, width = checked_image(role, pixels)
    if flavor is ImageFlavor.LABEL:
        spacing_um = LABEL_AREA_MM * 1000 / max(width, height)
        origin = (LABEL_AREA_MM, LABEL_AREA_MM)
    else:
        spacing_um = max(base.width_mm / width, base.height_mm / height) * 1000
        origin = volume_origin_mm(base)
    # 4:2:2 JPEG frames have an even number of columns; the padding lies outside the image.
    geometry = ImageGeometry(width, height, width + width % 2, height + height % 2, spacing_um)
    return ImageDescription(flavor, geometry, instance_number, role, origin_mm=origin)


def checked_image(role: str, pixels: np.ndarray) -> tuple[int, int]:
    """Height and width of an RGB uint8 image that fits one frame, or a SlideWriteError."""
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] != 3:
        raise SlideWriteError(
            f"{role} must be a uint8 RGB array (height, width, 3); "
            f"got {pixels.dtype} of shape {pixels.shape}"
        )
    height, width = pixels.shape[:2]
    if not (1 <= height <= MAX_SINGLE_FRAME_SIDE and 1 <= width <= MAX_SINGLE_FRAME_SIDE):
        raise SlideWriteError(
            f"{role} must be 1 to {MAX_SINGLE_FRAME_SIDE} pixels a side; got {width} x {height}"
        )
    return height, width
