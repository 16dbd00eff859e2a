"""The modules that differ per image of a slide: image type, geometry, pixels, compression."""

import enum
from dataclasses import dataclass

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID, JPEGBaseline8Bit, VLWholeSlideMicroscopyImageStorage
from pydicom.valuerep import DSfloat

from dicom.uids import derived_uid
from dicom.wsi.geometry import ImageGeometry
from dicom.wsi.identity import SlideIdentity
from dicom.wsi.label import barcode_value, label_text
from dicom.wsi.slide_modules import OPTICAL_PATH_ID, software_version

IMPLEMENTATION_CLASS_UID = derived_uid("pathsentry", "implementation-class")
# Slide coordinates put the label at low Y; the pixel matrix's corner sits this far from it (mm).
ORIGIN_MARGIN_MM = 1.0
LABEL_AREA_MM = 25.0
# The slide's thickness: a 4 µm section (Imaged Volume Depth is in µm, Slice Thickness in mm).
SECTION_THICKNESS_UM = 4.0
# White (L* 100, a* 0, b* 0) in the scaled CIELab of PS3.3 C.10.7.1.1.
_WHITE_CIELAB = [0xFFFF, 0x8080, 0x8080]
# Rows run along -Y, columns along -X: the usual orientation with the label on the left.
_ORIENTATION = [0, -1, 0, -1, 0, 0]


class ImageFlavor(enum.Enum):
    """Value 3 of Image Type for whole slide images (PS3.3 C.8.12.4.1.1)."""

    VOLUME = "VOLUME"
    LABEL = "LABEL"
    OVERVIEW = "OVERVIEW"


@dataclass(frozen=True)
class ImageDescription:
    """One image (instance) of a slide: what it shows and where it lies."""

    flavor: ImageFlavor
    geometry: ImageGeometry
    instance_number: int
    role: str
    resampled: bool = False
    origin_mm: tuple[float, float] = (0.0, 0.0)

    @property
    def image_type(self) -> list[str]:
        if self.resampled:
            return ["DERIVED", "PRIMARY", self.flavor.value, "RESAMPLED"]
        return ["ORIGINAL", "PRIMARY", self.flavor.value, "NONE"]


@dataclass(frozen=True)
class FrameStatistics:
    """What the encoded frames of an image add up to."""

    count: int
    encoded_bytes: int


def volume_origin_mm(base: ImageGeometry) -> tuple[float, float]:
    """Slide coordinates (X, Y, mm) of the base pixel matrix's top left corner."""
    # With the orientation above the image extends towards -X and -Y from this corner.
    return (base.height_mm + ORIGIN_MARGIN_MM, base.width_mm + LABEL_AREA_MM)


def image_dataset(
    slide: Dataset, identity: SlideIdentity, image: ImageDescription, frames: FrameStatistics
) -> Dataset:
    """The complete header of one image: the slide's modules plus this image's own."""
    dataset = Dataset()
    dataset.update(slide)
    for module in (
        sop_common_module(identity, image),
        general_image_module(identity, image, frames),
        image_pixel_module(image.geometry, frames),
        whole_slide_image_module(identity, image),
        functional_groups_module(identity, image),
    ):
        dataset.update(module)
    if image.flavor is ImageFlavor.LABEL:
        dataset.update(slide_label_module(identity))
    dataset.file_meta = file_meta(dataset.SOPInstanceUID)
    return dataset


def file_meta(instance_uid: str) -> FileMetaDataset:
    """File meta information: JPEG baseline, PathSentry as the implementation."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = VLWholeSlideMicroscopyImageStorage
    meta.MediaStorageSOPInstanceUID = UID(instance_uid)
    meta.TransferSyntaxUID = JPEGBaseline8Bit
    meta.ImplementationClassUID = UID(IMPLEMENTATION_CLASS_UID)
    meta.ImplementationVersionName = f"PATHSENTRY_{software_version()}"[:16]
    return meta


def sop_common_module(identity: SlideIdentity, image: ImageDescription) -> Dataset:
    module = Dataset()
    module.SOPClassUID = VLWholeSlideMicroscopyImageStorage
    module.SOPInstanceUID = identity.instance_uid(image.role)
    module.InstanceCreationDate = identity.acquisition_datetime.strftime("%Y%m%d")
    module.InstanceCreationTime = identity.acquisition_datetime.strftime("%H%M%S")
    return module


def general_image_module(
    identity: SlideIdentity, image: ImageDescription, frames: FrameStatistics
) -> Dataset:
    """General Image, General Acquisition and the lossy compression record."""
    module = Dataset()
    module.ImageType = image.image_type
    module.InstanceNumber = image.instance_number
    module.ContentDate = identity.acquisition_datetime.strftime("%Y%m%d")
    module.ContentTime = identity.acquisition_datetime.strftime("%H%M%S")
    module.AcquisitionDateTime = identity.acquisition_datetime.strftime("%Y%m%d%H%M%S")
    module.AcquisitionUID = derived_uid(identity.series_uid, "acquisition")
    # The IOD requires label and overview images to show the label, which names the (fake) case.
    shows_label = "NO" if image.flavor is ImageFlavor.VOLUME else "YES"
    module.BurnedInAnnotation = shows_label
    module.SpecimenLabelInImage = shows_label
    module.LossyImageCompression = "01"
    module.LossyImageCompressionMethod = "ISO_10918_1"
    module.LossyImageCompressionRatio = _ds(compression_ratio(image.geometry, frames))
    if image.resampled:
        module.DerivationDescription = "Area-average 2x downsampling of the level above"
    return module


def compression_ratio(geometry: ImageGeometry, frames: FrameStatistics) -> float:
    """Uncompressed over compressed size of the frames (padding included in both)."""
    raw = frames.count * geometry.tile_width * geometry.tile_height * 3
    return raw / max(frames.encoded_bytes, 1)


def image_pixel_module(geometry: ImageGeometry, frames: FrameStatistics) -> Dataset:
    """Image Pixel: 8-bit YBR_FULL_422 frames (the JPEG codestream's colour model)."""
    module = Dataset()
    module.SamplesPerPixel = 3
    module.PhotometricInterpretation = "YBR_FULL_422"
    module.PlanarConfiguration = 0
    module.Rows = geometry.tile_height
    module.Columns = geometry.tile_width
    module.BitsAllocated = 8
    module.BitsStored = 8
    module.HighBit = 7
    module.PixelRepresentation = 0
    module.NumberOfFrames = frames.count
    return module


def whole_slide_image_module(identity: SlideIdentity, image: ImageDescription) -> Dataset:
    """Whole Slide Microscopy Image module: the total pixel matrix and how it was focused."""
    geometry = image.geometry
    origin = Dataset()
    origin.XOffsetInSlideCoordinateSystem = _ds(image.origin_mm[0])
    origin.YOffsetInSlideCoordinateSystem = _ds(image.origin_mm[1])
    module = Dataset()
    module.ImagedVolumeWidth = _ds(geometry.width_mm)
    module.ImagedVolumeHeight = _ds(geometry.height_mm)
    module.ImagedVolumeDepth = _ds(SECTION_THICKNESS_UM)
    module.TotalPixelMatrixColumns = geometry.width
    module.TotalPixelMatrixRows = geometry.height
    module.TotalPixelMatrixFocalPlanes = 1
    module.TotalPixelMatrixOriginSequence = [origin]
    module.ImageOrientationSlide = _ORIENTATION
    module.VolumetricProperties = "VOLUME"
    module.FocusMethod = "AUTO"
    module.ExtendedDepthOfField = "NO"
    module.RecommendedAbsentPixelCIELabValue = _WHITE_CIELAB
    module.DimensionOrganizationType = "TILED_FULL"
    organization = Dataset()
    organization.DimensionOrganizationUID = derived_uid(identity.series_uid, "dimensions")
    module.DimensionOrganizationSequence = [organization]
    if image.flavor is ImageFlavor.VOLUME:
        module.PyramidUID = identity.pyramid_uid
    return module


def functional_groups_module(identity: SlideIdentity, image: ImageDescription) -> Dataset:
    """Shared functional groups; TILED_FULL leaves the per-frame positions implicit."""
    measures = Dataset()
    measures.PixelSpacing = [_ds(image.geometry.spacing_um / 1000)] * 2
    measures.SliceThickness = _ds(SECTION_THICKNESS_UM / 1000)
    frame_type = Dataset()
    frame_type.FrameType = image.image_type
    optical_path = Dataset()
    optical_path.OpticalPathIdentifier = OPTICAL_PATH_ID
    shared = Dataset()
    shared.PixelMeasuresSequence = [measures]
    shared.WholeSlideMicroscopyImageFrameTypeSequence = [frame_type]
    shared.OpticalPathIdentificationSequence = [optical_path]
    module = Dataset()
    module.SharedFunctionalGroupsSequence = [shared]
    return module


def slide_label_module(identity: SlideIdentity) -> Dataset:
    """Slide Label: the fake text and barcode the label image shows."""
    module = Dataset()
    module.LabelText = label_text(identity)
    module.BarcodeValue = barcode_value(identity)
    return module


def _ds(value: float) -> DSfloat:
    """A decimal string that fits the 16 characters DS allows."""
    return DSfloat(value, auto_format=True)
