"""The headers: one study, series, frame of reference and pyramid; the WSM attributes per image."""

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.uid import JPEGBaseline8Bit, VLWholeSlideMicroscopyImageStorage

from dicom.uids import is_valid_uid
from tests.dicom.wsi.conftest import WrittenSlide

VOLUMES = ["level-0", "level-1", "level-2", "level-3"]


@pytest.fixture(scope="module")
def headers(slide: WrittenSlide) -> dict[str, Dataset]:
    return {path.stem: pydicom.dcmread(path, stop_before_pixels=True) for path in slide.paths}


def test_all_images_share_study_series_and_frame_of_reference(
    slide: WrittenSlide, headers: dict[str, Dataset]
) -> None:
    identity = slide.identity
    for header in headers.values():
        assert header.SOPClassUID == VLWholeSlideMicroscopyImageStorage
        assert header.file_meta.TransferSyntaxUID == JPEGBaseline8Bit
        assert header.StudyInstanceUID == identity.study_uid
        assert header.SeriesInstanceUID == identity.series_uid
        assert header.FrameOfReferenceUID == identity.frame_of_reference_uid
        assert header.ContainerIdentifier == identity.container_id
        assert header.Modality == "SM"
        assert is_valid_uid(header.SOPInstanceUID)
    assert len({header.SOPInstanceUID for header in headers.values()}) == len(headers)
    assert [headers[name].InstanceNumber for name in [*VOLUMES, "label", "overview"]] == [
        1,
        2,
        3,
        4,
        5,
        6,
    ]


def test_only_the_levels_form_the_pyramid(slide: WrittenSlide, headers: dict[str, Dataset]) -> None:
    assert {headers[name].PyramidUID for name in VOLUMES} == {slide.identity.pyramid_uid}
    assert "PyramidUID" not in headers["label"]
    assert "PyramidUID" not in headers["overview"]


def test_image_types(headers: dict[str, Dataset]) -> None:
    assert list(headers["level-0"].ImageType) == ["ORIGINAL", "PRIMARY", "VOLUME", "NONE"]
    for name in VOLUMES[1:]:
        assert list(headers[name].ImageType) == ["DERIVED", "PRIMARY", "VOLUME", "RESAMPLED"]
    assert list(headers["label"].ImageType) == ["ORIGINAL", "PRIMARY", "LABEL", "NONE"]
    assert list(headers["overview"].ImageType) == ["ORIGINAL", "PRIMARY", "OVERVIEW", "NONE"]
    for header in headers.values():
        frame_type = header.SharedFunctionalGroupsSequence[0]
        assert frame_type.WholeSlideMicroscopyImageFrameTypeSequence[0].FrameType == (
            header.ImageType
        )


@pytest.mark.parametrize(("name", "spacing_mm"), [("level-0", 0.000238), ("level-1", 0.000476)])
def test_geometry_of_the_levels(
    slide: WrittenSlide, headers: dict[str, Dataset], name: str, spacing_mm: float
) -> None:
    header = headers[name]
    geometry = slide.spec.levels[VOLUMES.index(name)]
    measures = header.SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0]
    assert [float(value) for value in measures.PixelSpacing] == pytest.approx([spacing_mm] * 2)
    assert (header.TotalPixelMatrixColumns, header.TotalPixelMatrixRows) == (
        geometry.width,
        geometry.height,
    )
    assert float(header.ImagedVolumeWidth) == pytest.approx(2048 * 0.000238)
    assert float(header.ImagedVolumeHeight) == pytest.approx(1536 * 0.000238)
    assert header.NumberOfFrames == geometry.frame_count
    assert (header.Rows, header.Columns) == (256, 256)
    assert header.DimensionOrganizationType == "TILED_FULL"
    assert header.PhotometricInterpretation == "YBR_FULL_422"
    origin = header.TotalPixelMatrixOriginSequence[0]
    first = headers["level-0"].TotalPixelMatrixOriginSequence[0]
    assert origin.XOffsetInSlideCoordinateSystem == first.XOffsetInSlideCoordinateSystem
    assert origin.YOffsetInSlideCoordinateSystem == first.YOffsetInSlideCoordinateSystem


def test_volume_images_show_no_label_and_the_label_does(headers: dict[str, Dataset]) -> None:
    for name in VOLUMES:
        assert headers[name].SpecimenLabelInImage == "NO"
        assert headers[name].BurnedInAnnotation == "NO"
        assert headers[name].ExtendedDepthOfField == "NO"
    assert headers["label"].SpecimenLabelInImage == "YES"
    assert "SYNTHETIC" in headers["label"].LabelText
    assert headers["label"].BarcodeValue


def test_identity_is_clearly_synthetic(headers: dict[str, Dataset]) -> None:
    header = headers["level-0"]
    assert str(header.PatientName) == "SYNTHETIC^CASE T-1"
    assert header.PatientID.startswith("SYN-")
    assert header.AccessionNumber.startswith("SYN-")
    assert header.PatientBirthDate == ""
    assert header.PatientIdentityRemoved == "YES"
    specimen = header.SpecimenDescriptionSequence[0]
    assert specimen.SpecimenIdentifier.startswith("SYN-")
    assert specimen.SpecimenPreparationSequence[0].SpecimenPreparationStepContentItemSequence


def test_equipment_and_optical_path(headers: dict[str, Dataset]) -> None:
    header = headers["level-2"]
    assert header.Manufacturer == "PathSentry"
    assert header.ManufacturerModelName == "synthetic"
    assert header.SoftwareVersions
    assert header.DeviceSerialNumber
    path = header.OpticalPathSequence[0]
    assert path.IlluminationTypeCodeSequence[0].CodeValue == "111744"  # brightfield
    assert path.ICCProfile[36:40] == b"acsp"
    identification = header.SharedFunctionalGroupsSequence[0].OpticalPathIdentificationSequence
    assert identification[0].OpticalPathIdentifier == path.OpticalPathIdentifier


def test_lossy_compression_is_recorded(headers: dict[str, Dataset]) -> None:
    for header in headers.values():
        assert header.LossyImageCompression == "01"
        assert header.LossyImageCompressionMethod == "ISO_10918_1"
        assert float(header.LossyImageCompressionRatio) > 1
