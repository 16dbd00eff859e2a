"""Small DICOM VL Whole Slide Microscopy pyramids written in code, for tests that read slides."""

from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

WSM = UID("1.2.840.10008.5.1.4.1.1.77.1.6")


def write_pyramid(
    folder: Path, image: np.ndarray, spacing_um: float, levels: int = 3, tile: int = 64
) -> list[Path]:
    """Write `image` (RGB uint8) at `spacing_um` and its 2x downsamples, one file per level."""
    folder.mkdir(parents=True, exist_ok=True)
    uids = {"study": generate_uid(), "series": generate_uid(), "frame": generate_uid()}
    paths = []
    for level in range(levels):
        factor = 2**level
        height, width = image.shape[0] // factor, image.shape[1] // factor
        if min(height, width) < 1:
            break
        pixels = image[: height * factor, : width * factor]
        pixels = pixels.reshape(height, factor, width, factor, 3).mean(axis=(1, 3))
        dataset = _level_dataset(pixels.round().astype(np.uint8), spacing_um * factor, tile, uids)
        dataset.ImageType = [
            "ORIGINAL" if level == 0 else "DERIVED",
            "PRIMARY",
            "VOLUME",
            "NONE" if level == 0 else "RESAMPLED",
        ]
        path = folder / f"level{level}.dcm"
        dataset.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


def _level_dataset(
    pixels: np.ndarray, spacing_um: float, tile: int, uids: dict[str, UID]
) -> Dataset:
    height, width = pixels.shape[:2]
    dataset = Dataset()
    dataset.file_meta = FileMetaDataset()
    dataset.file_meta.MediaStorageSOPClassUID = WSM
    dataset.SOPInstanceUID = dataset.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    dataset.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    dataset.SOPClassUID = WSM
    dataset.StudyInstanceUID = uids["study"]
    dataset.SeriesInstanceUID = uids["series"]
    dataset.FrameOfReferenceUID = uids["frame"]
    dataset.Modality = "SM"
    dataset.PatientName = "Test^Slide"
    dataset.PatientID = "TEST"
    dataset.ContainerIdentifier = "SLIDE-1"
    dataset.DimensionOrganizationType = "TILED_FULL"
    dataset.TotalPixelMatrixColumns, dataset.TotalPixelMatrixRows = width, height
    dataset.TotalPixelMatrixFocalPlanes = 1
    dataset.Rows = dataset.Columns = tile
    dataset.SamplesPerPixel = 3
    dataset.PhotometricInterpretation = "RGB"
    dataset.PlanarConfiguration = 0
    dataset.BitsAllocated = dataset.BitsStored = 8
    dataset.HighBit = 7
    dataset.PixelRepresentation = 0
    dataset.ImagedVolumeWidth = width * spacing_um / 1000
    dataset.ImagedVolumeHeight = height * spacing_um / 1000
    dataset.ImagedVolumeDepth = 0.001
    measures = Dataset()
    measures.PixelSpacing = [spacing_um / 1000, spacing_um / 1000]
    measures.SliceThickness = 0.001
    shared = Dataset()
    shared.PixelMeasuresSequence = Sequence([measures])
    dataset.SharedFunctionalGroupsSequence = Sequence([shared])
    origin = Dataset()
    origin.XOffsetInSlideCoordinateSystem = 20.0
    origin.YOffsetInSlideCoordinateSystem = 40.0
    dataset.TotalPixelMatrixOriginSequence = Sequence([origin])
    path = Dataset()
    path.OpticalPathIdentifier = "1"
    dataset.OpticalPathSequence = Sequence([path])
    dataset.NumberOfOpticalPaths = 1
    frames = _frames(pixels, tile)
    dataset.NumberOfFrames = len(frames)
    dataset.PixelData = b"".join(frame.tobytes() for frame in frames)
    return dataset


def _frames(pixels: np.ndarray, tile: int) -> list[np.ndarray]:
    height, width = pixels.shape[:2]
    frames = []
    for top in range(0, height, tile):
        for left in range(0, width, tile):
            frame = np.zeros((tile, tile, 3), dtype=np.uint8)
            part = pixels[top : top + tile, left : left + tile]
            frame[: part.shape[0], : part.shape[1]] = part
            frames.append(frame)
    return frames
