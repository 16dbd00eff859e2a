"""JPEG frames decoded at a fraction of their size inside the decoder (libjpeg's DCT scaling).

A slide scanned only at 40x is analysed at 20x: decoding its frames at half size costs about a
quarter of a full decode and yields the analysis level directly, instead of decoding four times
the pixels and shrinking them. Pillow's `Image.draft` asks libjpeg(-turbo) for the scaled
inverse DCT. Frames of other codecs, and JPEG frames whose colours wsidicom must not transform
(RGB declared without a JPEG marker saying so), are not reduced (`reductions` says which are).
"""

import io

import numpy as np
from PIL import Image
from pydicom.uid import JPEGBaseline8Bit, JPEGExtended12Bit
from wsidicom.instance import ImageData

from dicom.slide.errors import SlideReadError

# libjpeg scales the inverse DCT by 1/2, 1/4 and 1/8.
FACTORS = (2, 4, 8)
_JPEG = (JPEGBaseline8Bit, JPEGExtended12Bit)
_YCBCR = ("YBR_FULL_422", "YBR_FULL")


def reductions(image_data: ImageData) -> tuple[int, ...]:
    """The factors by which this level's frames can be decoded directly (none: empty)."""
    jpeg = image_data.transfer_syntax in _JPEG and image_data.bits == 8
    colour = image_data.samples_per_pixel == 3 and image_data.photometric_interpretation in _YCBCR
    if not (jpeg and colour):
        return ()
    tile = image_data.tile_size
    return tuple(f for f in FACTORS if tile.width % f == 0 and tile.height % f == 0)


def decode_reduced(frame: bytes, factor: int) -> np.ndarray:
    """RGB uint8 pixels of a JPEG frame decoded at 1/`factor` of its size on each side."""
    image = Image.open(io.BytesIO(frame))
    width, height = image.size
    wanted = (width // factor, height // factor)
    image.draft("RGB", wanted)
    if image.size != wanted:
        raise SlideReadError(
            f"the JPEG decoder cannot scale a {width}x{height} frame by 1/{factor} "
            f"(it offers {image.size[0]}x{image.size[1]})"
        )
    return np.asarray(image.convert("RGB"))
