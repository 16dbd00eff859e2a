"""Synthetic cases for the dashboard: H&E-like thumbnails, probability heatmaps, every state."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from PIL import Image
from sqlalchemy.orm import Session

from db import exports
from db.models import Case, JobState, ReviewDecision, Slide, SlideState
from db.results import add_result
from db.reviews import add_review
from tests.db.factories import add_case, add_job, add_slide, result_values

SIZE = (480, 300)


@dataclass(frozen=True)
class SlideSpec:
    """One slide of a synthetic case: its score, or the state its job is in."""

    score: float | None = None
    state: JobState = JobState.DONE
    progress: float = 0.0
    reason: str | None = None
    exports: tuple[str, ...] = ()  # per destination: "delivered", "failed" or "pending"
    receiving: bool = False


@dataclass(frozen=True)
class CaseSpec:
    accession: str
    patient: str
    minutes: float
    slides: tuple[SlideSpec, ...]
    reviewed: ReviewDecision | None = None


DEMO_CASES = (
    CaseSpec(
        "S26-0412",
        "Mueller^Anna",
        12,
        (
            SlideSpec(0.97, exports=("delivered", "delivered")),
            SlideSpec(0.41, exports=("delivered", "delivered")),
        ),
    ),
    CaseSpec("S26-0398", "Tanaka^Hiro", 3, (SlideSpec(0.81, exports=("delivered", "failed")),)),
    CaseSpec(
        "S26-0420",
        "O'Brien^Sean",
        15,
        (
            SlideSpec(
                state=JobState.FAILED, reason="no pyramid level at 20x or finer (finest: 1.0 um/px)"
            ),
        ),
    ),
    CaseSpec(
        "S26-0423",
        "Nguyen^Thi",
        18,
        (SlideSpec(state=JobState.RUNNING, progress=0.62), SlideSpec(state=JobState.QUEUED)),
    ),
    CaseSpec("S26-0425", "Rossi^Marco", 21, (SlideSpec(receiving=True),)),
    CaseSpec("S26-0401", "Svensson^Eva", 6, (SlideSpec(0.08, exports=("delivered", "delivered")),)),
    CaseSpec("S26-0405", "Okafor^Chidi", 9, (SlideSpec(0.21, exports=("delivered", "pending")),)),
    CaseSpec(
        "S26-0388",
        "Garcia^Lucia",
        1,
        (SlideSpec(0.12, exports=("delivered", "delivered")),),
        ReviewDecision.BENIGN,
    ),
)
DESTINATIONS = ("pacs", "research-archive")


def seed_cases(
    session: Session, data_dir: Path, specs: tuple[CaseSpec, ...] = DEMO_CASES
) -> dict[str, int]:
    """Write the cases (with thumbnails and heatmaps under `data_dir`); accession -> case id."""
    ids = {}
    for number, spec in enumerate(specs):
        case = add_case(
            session,
            accession=spec.accession,
            patient_name=spec.patient,
            received_minutes=spec.minutes,
        )
        case.study_description = "Gastric biopsy"
        for index, slide_spec in enumerate(spec.slides):
            _slide(
                session,
                case,
                slide_spec,
                data_dir / f"case-{number}" / f"slide-{index}",
                seed=number * 10 + index,
            )
        if spec.reviewed is not None:
            add_review(session, case.id, "dr.demo", spec.reviewed, threshold=0.5)
        ids[spec.accession] = case.id
    session.commit()
    return ids


def _slide(session: Session, case: Case, spec: SlideSpec, folder: Path, seed: int) -> Slide:
    state = SlideState.RECEIVING if spec.receiving else SlideState.COMPLETE
    slide = add_slide(session, case, state=state, folder=folder)
    slide.container_identifier = f"{case.accession_number}-{len(case.slides)}"
    if spec.receiving:
        return slide
    job = add_job(session, slide, spec.state, progress=spec.progress, reason=spec.reason)
    if spec.score is None:
        return slide
    write_images(folder, spec.score, seed)
    result = add_result(session, job, result_values(spec.score, folder=folder), DESTINATIONS)
    for export, outcome in zip(result.exports, spec.exports, strict=False):
        _deliver(session, export.id, outcome, case.received_at + timedelta(minutes=2))
    return slide


def _deliver(session: Session, export_id: int, outcome: str, at: datetime) -> None:
    """Delivered at the first try, failed for good after three refused tries, or pending."""
    backoff = exports.Backoff(5.0, 900.0, max_attempts=3)
    tries = {"delivered": 1, "failed": 3}.get(outcome, 0)
    for attempt in range(tries):
        error = "association rejected: unknown called AE title"
        when = at + timedelta(seconds=5 * attempt)
        exports.record_attempt(
            session,
            export_id,
            started_at=when,
            error=None if outcome == "delivered" else error,
            backoff=backoff,
            final=attempt == tries - 1,
            now=when,
        )


def write_images(folder: Path, score: float, seed: int) -> None:
    """An H&E-like thumbnail, a heatmap peaking at `score`, and placeholder SEG/SR files."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    tissue = _tissue_mask(rng)
    Image.fromarray(_stain(tissue, rng)).save(folder / "thumbnail.png")
    Image.fromarray(_heatmap(tissue, score, rng)).save(folder / "heatmap.png")
    for name in ("seg.dcm", "sr.dcm"):
        (folder / name).write_bytes(b"\0" * 128 + b"DICM")


def _grid() -> tuple[np.ndarray, np.ndarray]:
    width, height = SIZE
    return np.meshgrid(np.linspace(0, 1, width), np.linspace(0, 1, height))


def _tissue_mask(rng: np.random.Generator) -> np.ndarray:
    x, y = _grid()
    field = np.full_like(x, -1.0)
    for _ in range(rng.integers(2, 4)):
        cx, cy = rng.uniform(0.25, 0.75), rng.uniform(0.3, 0.7)
        rx, ry = rng.uniform(0.12, 0.22), rng.uniform(0.18, 0.32)
        field = np.maximum(field, 1 - ((x - cx) / rx) ** 2 - ((y - cy) / ry) ** 2)
    return field + 0.5 * _smooth_noise(rng, (12, 8)) > 0.2


def _smooth_noise(rng: np.random.Generator, cells: tuple[int, int]) -> np.ndarray:
    """Noise in [-1, 1] that varies smoothly across the image (a small grid, upsampled)."""
    coarse = rng.uniform(0, 255, size=(cells[1], cells[0])).astype(np.uint8)
    smooth = Image.fromarray(coarse).resize(SIZE, Image.Resampling.BICUBIC)
    return np.asarray(smooth, dtype=float) / 127.5 - 1


def _stain(tissue: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    height, width = tissue.shape
    eosin = np.array([236, 160, 196], dtype=float)
    haematoxylin = np.array([110, 60, 150], dtype=float)
    density = 0.3 + 0.2 * _smooth_noise(rng, (24, 16))
    mix = np.clip(density + rng.normal(0, 0.08, size=(height, width)), 0, 1)[..., None]
    nuclei = rng.random((height, width)) < 0.02 + 0.04 * (density > 0.35)
    mix[nuclei] = 0.95
    colour = eosin * (1 - mix) + haematoxylin * mix + rng.normal(0, 6, size=(height, width, 3))
    image = np.full((height, width, 3), 246.0)
    image[tissue] = colour[tissue]
    return np.clip(image, 0, 255).astype(np.uint8)


def _heatmap(tissue: np.ndarray, score: float, rng: np.random.Generator) -> np.ndarray:
    x, y = _grid()
    ys, xs = np.nonzero(tissue)
    pick = rng.integers(len(xs))
    cx, cy = xs[pick] / SIZE[0], ys[pick] / SIZE[1]
    probability = score * np.exp(-(((x - cx) / 0.09) ** 2 + ((y - cy) / 0.12) ** 2))
    probability = np.where(tissue, np.maximum(probability, 0.04), 0.0)
    rgba = np.zeros((*tissue.shape, 4), dtype=np.uint8)
    rgba[..., 0] = 255
    rgba[..., 1] = (255 * (1 - probability) ** 2).astype(np.uint8)
    rgba[..., 2] = 0
    rgba[..., 3] = (255 * np.clip(probability * 1.4, 0, 0.95)).astype(np.uint8)
    return rgba
