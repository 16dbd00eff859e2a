"""Open a folder of WSM files with wsidicom: read headers, repair them, choose levels, open."""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from wsidicom import WsiDicom
from wsidicom.config import use_settings
from wsidicom.file import WsiDicomFileSource
from wsidicom.file.io import WsiDicomReader, WsiDicomReadIO

from dicom.slide.errors import NoSlideError, SlideError
from dicom.slide.frames import OpenedFile, check_frames
from dicom.slide.image_type import Flavour, repair_image_type
from dicom.slide.instance_file import InstanceFile, read_instance_files
from dicom.slide.level_repair import repair_origin, repair_pixel_format, repair_tiling
from dicom.slide.reading_settings import wsidicom_settings
from dicom.slide.repair_log import RepairLog
from dicom.slide.selection import choose_pyramid, choose_series, fit_scales, largest
from dicom.slide.spacing import repair_spacing
from dicom.slide.spliced import open_level_stream
from dicom.slide.split_levels import merge_split_levels


@dataclass(frozen=True)
class OpenedWsi:
    """A slide as wsidicom opened it, with the files it reads and what was repaired."""

    wsi: WsiDicom
    files: dict[str, OpenedFile]
    repairs: tuple[str, ...]
    series_uid: str


def open_wsi(paths: Sequence[Path], place: str, series_uid: str | None = None) -> OpenedWsi:
    """Open the slide's pyramid among `paths` (`place` names them in messages); the received
    files are never changed."""
    repairs = RepairLog()
    levels = repaired_levels(paths, place, series_uid, repairs)
    files, source = _open_source(levels, repairs)
    try:
        with use_settings(wsidicom_settings()):
            wsi = WsiDicom(source, source_owned=True, settings=wsidicom_settings())
    except BaseException:
        source.close()
        raise
    if len(wsi.pyramids) > 1:
        repairs.add(
            f"the levels form {len(wsi.pyramids)} pyramids by their origins; the one with the "
            "largest image is opened"
        )
    return OpenedWsi(wsi, files, repairs.lines(), str(largest(levels).header.SeriesInstanceUID))


def repaired_levels(
    paths: Sequence[Path], place: str, series_uid: str | None, repairs: RepairLog
) -> list[InstanceFile]:
    """The pyramid levels of the slide, their headers repaired in memory, largest first."""
    files = read_instance_files(paths)
    volumes = [file for file in files if repair_image_type(file, repairs) is Flavour.VOLUME]
    if not volumes:
        raise NoSlideError(_no_volume_message(place, files))
    levels = choose_pyramid(choose_series(volumes, series_uid, repairs), repairs)
    for level in levels:
        repair_pixel_format(level, repairs)
        repair_tiling(level, repairs)
    levels.sort(key=InstanceFile.pixel_count, reverse=True)
    repair_origin(levels, repairs)
    repair_spacing(levels, repairs)
    return merge_split_levels(fit_scales(levels, repairs), repairs)


def _open_source(
    levels: Sequence[InstanceFile], repairs: RepairLog
) -> tuple[dict[str, OpenedFile], WsiDicomFileSource]:
    files: dict[str, OpenedFile] = {}
    streams: list[WsiDicomReadIO] = []
    try:
        for level in levels:
            stream, size = open_level_stream(level)
            streams.append(stream)
            files[str(stream.filepath)] = OpenedFile(level, size)
        with use_settings(wsidicom_settings()):
            source = WsiDicomFileSource(streams)
    except BaseException:
        for stream in streams:
            stream.close()
        raise
    try:
        _check_all_read(source, files)
        check_frames(source, files, repairs)
    except BaseException:
        source.close()
        raise
    return files, source


def _check_all_read(source: WsiDicomFileSource, files: dict[str, OpenedFile]) -> None:
    """wsidicom logs, rather than raises, why it leaves out a file: find and tell why."""
    opened = {str(path) for path in source.files}
    for path, file in files.items():
        if path not in opened:
            raise SlideError(_unreadable_message(file.level))


def _unreadable_message(level: InstanceFile) -> str:
    """Why wsidicom refused a level: its reader's error, read again from a new stream."""
    stream, _ = open_level_stream(level)
    try:
        with use_settings(wsidicom_settings()):
            WsiDicomReader(stream)
    except Exception as error:  # noqa: BLE001 - the reason is reported, whatever its kind
        return f"{level.name} cannot be read as a pyramid level: {error}"
    finally:
        stream.close()
    return f"{level.name} cannot be read as a pyramid level of this slide (by wsidicom)"


def _no_volume_message(place: str, files: Sequence[InstanceFile]) -> str:
    if not files:
        return (
            f"{place} holds no readable VL Whole Slide Microscopy image: expected DICOM files "
            "of SOP class 1.2.840.10008.5.1.4.1.1.77.1.6 with a VOLUME image"
        )
    return (
        f"{place} holds {len(files)} VL Whole Slide Microscopy files but no readable VL Whole "
        "Slide Microscopy pyramid level (ImageType VOLUME): only labels, overviews or thumbnails"
    )
