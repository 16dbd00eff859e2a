"""Real slides and a real (tiny, untrained) model for tests of the service's composition."""

import math
from pathlib import Path

import numpy as np
import torch
from pydicom import dcmread
from scipy import ndimage

from config import InferenceSettings, Settings, StorageSettings
from db.models import ImageType
from dicom.wsi import PyramidSpec, synthetic_identity, write_pyramid
from inference.model import ModelConfig, build_model, save_weights
from inference.synthetic import SlideKind, make_layout, render_region
from plugin.analysis.contract import JobContext, SlideFiles, StoredInstance
from plugin.tools.synthetic_slide import SyntheticSlideRequest, write_synthetic_slide


def small_slide(out: Path, kind: str = "malignant", seed: int = 1) -> Path:
    """A small synthetic slide (about 2900 x 2300 px at 40x) written as DICOM."""
    request = SyntheticSlideRequest(
        kind=kind, seed=seed, width_um=700, height_um=550, tile_size=256, case="TEST"
    )
    write_synthetic_slide(out, request)
    return out


def blurred_slide(out: Path, sigma_um: float, left_only: bool = False, seed: int = 1) -> Path:
    """The benign small slide out of focus (a Gaussian point spread of `sigma_um`), all of it or
    its left half only (in stored pixels)."""
    request = SyntheticSlideRequest(kind="benign", seed=seed, width_um=700, height_um=550)
    spacing = request.spacing_um
    columns, rows = math.ceil(700 / spacing), math.ceil(550 / spacing)
    layout = make_layout(SlideKind(request.kind), seed, 700, 550)
    image = render_region(layout, spacing, 0, 0, columns, rows)
    planes = [ndimage.gaussian_filter(image[..., c], sigma_um / spacing) for c in range(3)]
    blurred = np.stack(planes, axis=-1)
    if left_only:
        blurred[:, columns // 2 :] = image[:, columns // 2 :]

    def render(x: int, y: int, width: int, height: int) -> np.ndarray:
        region = np.full((height, width, 3), 255, dtype=np.uint8)
        inside = blurred[y : y + height, x : x + width]
        region[: inside.shape[0], : inside.shape[1]] = inside
        return region

    spec = PyramidSpec(columns, rows, spacing_um=spacing, tile_size=256)
    write_pyramid(out, render, spec, synthetic_identity(seed + 500, "BLUR", "benign"))
    return out


def blank_slide(out: Path) -> Path:
    """A slide of bare glass: white everywhere."""

    def white(x: int, y: int, width: int, height: int) -> np.ndarray:
        return np.full((height, width, 3), 244, dtype=np.uint8)

    write_pyramid(out, white, PyramidSpec(2048, 1536, tile_size=256), synthetic_identity(99))
    return out


def tiny_model(path: Path) -> Path:
    """An untrained DeepLab v3 small enough for CPU tests (its output is arbitrary but fixed)."""
    torch.manual_seed(0)
    config = ModelConfig.for_stride(
        16, name="tiny-test", version="1", depth=18, width=8, aspp_channels=16
    )
    save_weights(build_model(config).eval(), config, path)
    return path


def service_settings(data_dir: Path, weights: Path, **sections: object) -> Settings:
    """Settings for a service in `data_dir` with the tiny model on the CPU and small tiles."""
    inference = InferenceSettings(
        weights=weights, device="cpu", tile_size=320, tile_keep=288, batch_size=2, top_k=200
    )
    return Settings(
        storage=StorageSettings(data_dir=data_dir),
        inference=inference,
        **sections,  # type: ignore[arg-type]
    )


def job_context(folder: Path, progress: list[tuple[float, str]] | None = None) -> JobContext:
    """What the worker would hand the pipeline for the slide in `folder`; progress is logged."""
    files = sorted(folder.glob("*.dcm"))
    headers = [dcmread(path, stop_before_pixels=True) for path in files]
    instances = tuple(
        StoredInstance(
            str(header.SOPInstanceUID),
            ImageType(str(header.ImageType[2]).lower())
            if "ImageType" in header
            else ImageType.OTHER,
            path,
        )
        for header, path in zip(headers, files, strict=True)
    )
    slide = SlideFiles(
        slide_id=1,
        study_instance_uid=str(headers[0].StudyInstanceUID),
        series_instance_uid=str(headers[0].SeriesInstanceUID),
        storage_dir=folder,
        instances=instances,
    )
    log = progress if progress is not None else []
    return JobContext(
        1, 1, "key", "cpu", slide, lambda fraction, stage: log.append((fraction, stage))
    )
