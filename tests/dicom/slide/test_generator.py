"""The variants are what they claim: dciodvfy finds the defect each one is made to have."""

from pathlib import Path

import pytest

from tests.dicom.conformance import dciodvfy
from tests.dicom.slide import nonconformant as nc
from tests.dicom.slide.conftest import ConformantSlide

CASES = [
    (
        lambda s, o: nc.with_image_type(s, o, lambda _: None, keep_frame_type=False),
        "Type 1 Required Element=<ImageType>",
    ),
    (nc.without_dimension_organization_type, "Required unless DimensionOrganizationType"),
    (nc.without_origin, "Type 1 Required Element=<TotalPixelMatrixOriginSequence>"),
    (nc.without_imaged_volume, "Type 1C Conditional Element=<ImagedVolumeWidth>"),
    (
        lambda s, o: nc.without_pixel_spacing(s, o, keep_imaged_volume=False),
        "Type 1C Conditional Element=<PixelSpacing>",
    ),
]


@pytest.mark.parametrize(("make", "error"), CASES)
def test_variant_has_the_defect_it_is_made_to_have(
    make: nc.Variant, error: str, conformant: ConformantSlide, tmp_path: Path
) -> None:
    assert not [line for line in dciodvfy(conformant.folder / "level-1.dcm") if "Error" in line]
    make(conformant.folder, tmp_path)
    errors = [line for line in dciodvfy(tmp_path / "level-1.dcm") if "Error" in line]
    assert any(error in line for line in errors), "\n".join(errors)
