"""The modules every image of a slide shares: patient to optical path (PS3.3 A.32.8)."""

from importlib import metadata

import highdicom
from pydicom.dataset import Dataset
from pydicom.sr.coding import Code

from dicom.icc import srgb_icc_profile
from dicom.wsi.identity import SlideIdentity

MANUFACTURER = "PathSentry"
MODEL_NAME = "synthetic"
DEVICE_SERIAL_NUMBER = "SYN-0001"
OPTICAL_PATH_ID = "1"
OBJECTIVE_LENS_POWER = 40

_MICROSCOPE_SLIDE = Code("433466003", "SCT", "Microscope slide")
_HEMATOXYLIN = Code("12710003", "SCT", "hematoxylin stain")
_EOSIN = Code("36879007", "SCT", "water soluble eosin stain")
_FORMALIN = Code("431510009", "SCT", "Formalin")
_PARAFFIN = Code("311731000", "SCT", "Paraffin wax")
_TISSUE_SECTION = Code("430856003", "SCT", "Tissue section")
_BRIGHTFIELD = Code("111744", "DCM", "Brightfield illumination")
_FULL_SPECTRUM = Code("414298005", "SCT", "Full Spectrum")


def slide_dataset(identity: SlideIdentity) -> Dataset:
    """Patient, study, series, frame of reference, equipment, specimen and optical path."""
    dataset = Dataset()
    for module in (
        patient_module(identity),
        study_module(identity),
        series_module(identity),
        frame_of_reference_module(identity),
        equipment_module(),
        specimen_module(identity),
        optical_path_module(),
        acquisition_context_module(),
    ):
        dataset.update(module)
    return dataset


def patient_module(identity: SlideIdentity) -> Dataset:
    """A patient that says it is synthetic wherever a viewer shows it."""
    module = Dataset()
    module.PatientName = identity.patient_name
    module.PatientID = identity.patient_id
    module.PatientBirthDate = identity.patient_birth_date
    module.PatientSex = identity.patient_sex
    module.PatientIdentityRemoved = "YES"
    module.DeidentificationMethod = "SYNTHETIC: made by PathSentry, no real patient"
    return module


def study_module(identity: SlideIdentity) -> Dataset:
    """General Study: shared by all slides of one synthetic case."""
    module = Dataset()
    module.StudyInstanceUID = identity.study_uid
    module.StudyDate = identity.study_datetime.strftime("%Y%m%d")
    module.StudyTime = identity.study_datetime.strftime("%H%M%S")
    module.ReferringPhysicianName = ""
    module.StudyID = identity.study_id
    module.AccessionNumber = identity.accession_number
    module.StudyDescription = identity.study_description
    return module


def series_module(identity: SlideIdentity) -> Dataset:
    """General Series of one slide (modality SM)."""
    module = Dataset()
    module.Modality = "SM"
    module.SeriesInstanceUID = identity.series_uid
    module.SeriesNumber = identity.series_number
    module.SeriesDescription = identity.series_description
    module.SeriesDate = identity.acquisition_datetime.strftime("%Y%m%d")
    module.SeriesTime = identity.acquisition_datetime.strftime("%H%M%S")
    return module


def frame_of_reference_module(identity: SlideIdentity) -> Dataset:
    """The slide coordinate system, shared by every image of the slide."""
    module = Dataset()
    module.FrameOfReferenceUID = identity.frame_of_reference_uid
    module.PositionReferenceIndicator = "SLIDE_CORNER"
    return module


def equipment_module() -> Dataset:
    """General and Enhanced General Equipment: the synthetic 'scanner' is PathSentry itself."""
    module = Dataset()
    module.Manufacturer = MANUFACTURER
    module.ManufacturerModelName = MODEL_NAME
    module.DeviceSerialNumber = DEVICE_SERIAL_NUMBER
    module.SoftwareVersions = software_version()
    return module


def software_version() -> str:
    """The installed PathSentry version, or a marker when running from an uninstalled tree."""
    try:
        return metadata.version("pathsentry")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def specimen_module(identity: SlideIdentity) -> Dataset:
    """Specimen: a fake container and one formalin-fixed, paraffin-embedded H&E section."""
    module = Dataset()
    module.ContainerIdentifier = identity.container_id
    module.IssuerOfTheContainerIdentifierSequence = []
    module.ContainerTypeCodeSequence = [highdicom.sr.CodedConcept.from_code(_MICROSCOPE_SLIDE)]
    staining = highdicom.SpecimenPreparationStep(
        specimen_id=identity.specimen_id,
        processing_procedure=highdicom.SpecimenStaining(substances=[_HEMATOXYLIN, _EOSIN]),
        fixative=_FORMALIN,
        embedding_medium=_PARAFFIN,
    )
    module.SpecimenDescriptionSequence = [
        highdicom.SpecimenDescription(
            specimen_id=identity.specimen_id,
            specimen_uid=identity.specimen_uid,
            specimen_preparation_steps=[staining],
            specimen_type=_TISSUE_SECTION,
            specimen_short_description="SYNTHETIC H&E section",
        )
    ]
    return module


def optical_path_module() -> Dataset:
    """One brightfield optical path with white light and the sRGB profile of the pixels."""
    path = Dataset()
    path.OpticalPathIdentifier = OPTICAL_PATH_ID
    path.OpticalPathDescription = "Brightfield, full spectrum (synthetic)"
    path.IlluminationTypeCodeSequence = [highdicom.sr.CodedConcept.from_code(_BRIGHTFIELD)]
    path.IlluminationColorCodeSequence = [highdicom.sr.CodedConcept.from_code(_FULL_SPECTRUM)]
    path.ICCProfile = srgb_icc_profile()
    path.ColorSpace = "SRGB"
    path.ObjectiveLensPower = OBJECTIVE_LENS_POWER
    module = Dataset()
    module.NumberOfOpticalPaths = 1
    module.OpticalPathSequence = [path]
    return module


def acquisition_context_module() -> Dataset:
    """Acquisition Context: nothing to record for a synthetic slide (the module is Type 2)."""
    module = Dataset()
    module.AcquisitionContextSequence = []
    return module
