"""Writes a synthetic slide as a DICOM VL Whole Slide Microscopy pyramid, strip by strip."""

import logging
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Protocol

import numpy as np
from pydicom.dataset import Dataset

from dicom.wsi.cascade import LevelSink
from dicom.wsi.encapsulated import write_encapsulated
from dicom.wsi.errors import SlideWriteError
from dicom.wsi.geometry import ImageGeometry, PyramidSpec
from dicom.wsi.identity import SlideIdentity
from dicom.wsi.image_modules import (
    FrameStatistics,
    ImageDescription,
    ImageFlavor,
    image_dataset,
    volume_origin_mm,
)
from dicom.wsi.jpeg import TileEncoder
from dicom.wsi.single_frame import single_frame_image
from dicom.wsi.slide_modules import slide_dataset
from dicom.wsi.spool import FrameSpool

log = logging.getLogger(__name__)

MAX_ENCODER_THREADS = 8


class BaseRegionRenderer(Protocol):
    """Pixels of the base level: RGB uint8 (height, width, 3) at base-level coordinates."""

    def __call__(self, x: int, y: int, width: int, height: int) -> np.ndarray: ...


def write_pyramid(
    out_dir: Path,
    render: BaseRegionRenderer,
    spec: PyramidSpec,
    identity: SlideIdentity,
    *,
    label: np.ndarray | None = None,
    overview: np.ndarray | None = None,
    threads: int | None = None,
) -> list[Path]:
    """Writes level-0.dcm ... level-N.dcm (and label.dcm, overview.dcm when given).

    The renderer is asked for one full-width row of tiles at a time, in order, from one worker
    thread (the next strip renders while the last is encoded), so memory stays at a few strips
    however large the slide is. `threads` JPEG-encode tiles in parallel (default: the CPU
    count, at most MAX_ENCODER_THREADS). Each file appears complete or not at all; when the
    writing fails, none of the files of this slide are left. Returns the written paths, base
    level first.
    """
    extras = _extra_images(spec, label, overview)
    paths = [out_dir / f"level-{index}.dcm" for index in range(len(spec.levels))]
    paths += [out_dir / f"{image.role}.dcm" for image, _ in extras]
    out_dir.mkdir(parents=True, exist_ok=True)
    slide = slide_dataset(identity)
    workers = threads or min(os.cpu_count() or 1, MAX_ENCODER_THREADS)
    try:
        with ThreadPoolExecutor(workers, thread_name_prefix="jpeg") as executor:
            encoder = TileEncoder(spec.jpeg_quality, executor)
            _write_levels(out_dir, render, spec, identity, slide, encoder)
            for image, pixels in extras:
                with FrameSpool(out_dir) as spool:
                    _fill(LevelSink(image.geometry, spool, encoder), iter([pixels]))
                    _write_image(out_dir, slide, identity, image, spool)
    except BaseException:
        for path in paths:
            path.unlink(missing_ok=True)
        raise
    log.info("wrote a %d x %d slide as %d files", spec.width, spec.height, len(paths))
    return paths


def _extra_images(
    spec: PyramidSpec, label: np.ndarray | None, overview: np.ndarray | None
) -> list[tuple[ImageDescription, np.ndarray]]:
    """The label and overview to write after the levels, checked before anything is written."""
    extras: list[tuple[ImageDescription, np.ndarray]] = []
    for role, flavor, pixels in (
        ("label", ImageFlavor.LABEL, label),
        ("overview", ImageFlavor.OVERVIEW, overview),
    ):
        if pixels is not None:
            number = len(spec.levels) + len(extras) + 1
            extras.append((single_frame_image(role, flavor, pixels, spec.base, number), pixels))
    return extras


def _write_levels(
    out_dir: Path,
    render: BaseRegionRenderer,
    spec: PyramidSpec,
    identity: SlideIdentity,
    slide: Dataset,
    encoder: TileEncoder,
) -> None:
    """Streams the base strips through the cascade of levels, then writes one file per level."""
    levels = spec.levels
    with ExitStack() as stack:
        spools = [stack.enter_context(FrameSpool(out_dir)) for _ in levels]
        with ThreadPoolExecutor(1, thread_name_prefix="render") as renderer:
            _fill(_chain(levels, spools, encoder), _base_strips(render, spec, renderer))
        for index, spool in enumerate(spools):
            _write_image(out_dir, slide, identity, _level_image(spec, index), spool)


def _level_image(spec: PyramidSpec, index: int) -> ImageDescription:
    return ImageDescription(
        flavor=ImageFlavor.VOLUME,
        geometry=spec.levels[index],
        instance_number=index + 1,
        role=f"level-{index}",
        resampled=index > 0,
        origin_mm=volume_origin_mm(spec.base),
    )


def _chain(
    levels: tuple[ImageGeometry, ...], spools: list[FrameSpool], encoder: TileEncoder
) -> LevelSink:
    """The cascade of level sinks, built from the smallest up; returns the base level's sink."""
    sink: LevelSink | None = None
    for geometry, spool in reversed(list(zip(levels, spools, strict=True))):
        sink = LevelSink(geometry, spool, encoder, sink)
    assert sink is not None  # levels is never empty
    return sink


def _fill(sink: LevelSink, strips: Iterator[np.ndarray]) -> None:
    for strip in strips:
        sink.push(strip)
    sink.finish()


def _base_strips(
    render: BaseRegionRenderer, spec: PyramidSpec, renderer: ThreadPoolExecutor
) -> Iterator[np.ndarray]:
    """The base level's rows of tiles in order, each rendered while the one before is written."""
    tops = range(0, spec.height, spec.tile_size)

    def render_strip(top: int) -> np.ndarray:
        height = min(spec.tile_size, spec.height - top)
        return _checked(render(0, top, spec.width, height), (height, spec.width, 3))

    pending = renderer.submit(render_strip, tops[0])
    for top in tops[1:]:
        strip = pending.result()
        pending = renderer.submit(render_strip, top)
        yield strip
    yield pending.result()


def _checked(pixels: np.ndarray, shape: tuple[int, int, int]) -> np.ndarray:
    if not isinstance(pixels, np.ndarray) or pixels.dtype != np.uint8 or pixels.shape != shape:
        raise SlideWriteError(
            f"the renderer must return a uint8 RGB array of shape {shape}; it returned "
            f"{getattr(pixels, 'dtype', type(pixels))} of shape {getattr(pixels, 'shape', '?')}"
        )
    return pixels


def _write_image(
    out_dir: Path,
    slide: Dataset,
    identity: SlideIdentity,
    image: ImageDescription,
    spool: FrameSpool,
) -> None:
    frames = FrameStatistics(len(spool.item_lengths), spool.encoded_bytes)
    dataset = image_dataset(slide, identity, image, frames)
    write_encapsulated(out_dir / f"{image.role}.dcm", dataset, spool)
