"""The sRGB ICC profile that colour images carry, made locally by LittleCMS (through Pillow)."""

import functools

from PIL import ImageCms

# LittleCMS stamps the creation time into the profile header (bytes 24-35, six uint16:
# year, month, day, hour, minute, second); a fixed date keeps written files reproducible.
_DATE_FIELD = slice(24, 36)
_FIXED_DATE = b"".join(part.to_bytes(2, "big") for part in (2000, 1, 1, 0, 0, 0))


@functools.cache
def srgb_icc_profile() -> bytes:
    """An sRGB ICC profile (v2/v4 as LittleCMS builds it) with a fixed creation date."""
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return profile[: _DATE_FIELD.start] + _FIXED_DATE + profile[_DATE_FIELD.stop :]
