"""The sRGB ICC profile is made locally, loads in LittleCMS and does not change between runs."""

import io

from PIL import ImageCms

import dicom.icc
from dicom.icc import srgb_icc_profile


def test_the_profile_is_a_loadable_srgb_profile() -> None:
    profile = srgb_icc_profile()
    assert profile[36:40] == b"acsp"
    assert int.from_bytes(profile[:4], "big") == len(profile)
    loaded = ImageCms.getOpenProfile(io.BytesIO(profile))
    assert "sRGB" in ImageCms.getProfileDescription(loaded)


def test_the_creation_date_is_fixed_so_files_are_reproducible() -> None:
    made_now = srgb_icc_profile()
    dicom.icc.srgb_icc_profile.cache_clear()
    assert srgb_icc_profile() == made_now
    assert made_now[24:26] == (2000).to_bytes(2, "big")
