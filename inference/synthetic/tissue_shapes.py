"""Tissue fragments, tumour areas and lymphoid aggregates: soft random outlines on the slide."""

import math

import numpy as np
from numpy.typing import NDArray

from inference.synthetic.geometry import StarShape, smooth_radii

F64 = NDArray[np.float64]

OUTLINE_VERTICES = 256


def union_depth(shapes: tuple[StarShape, ...], x: F64, y: F64) -> F64:
    """Signed distance to a union of star shapes (max over shapes); -inf when there are none."""
    result = np.full(np.broadcast(x, y).shape, -np.inf)
    for shape in shapes:
        result = np.maximum(result, shape.signed_distance(x, y))
    return result


def fragments(rng: np.random.Generator, width: float, height: float) -> tuple[StarShape, ...]:
    """One to three tissue pieces side by side, together covering about 35-65% of the slide."""
    aspect = max(width, height) / min(width, height)
    count = int(rng.integers(1, 4 if aspect > 1.6 and min(width, height) > 2000 else 3))
    while True:
        fragments = _fragments_in_slots(rng, width, height, count)
        if count == 1 or sum(f.area for f in fragments) > 0.34 * width * height:
            return fragments
        count -= 1


def _fragments_in_slots(
    rng: np.random.Generator, width: float, height: float, count: int
) -> tuple[StarShape, ...]:
    """`count` blobs, one per equal slot along the slide's long side."""
    target = rng.uniform(0.42, 0.64) * width * height
    share = rng.dirichlet(np.full(count, 6.0))
    along_x = width >= height
    slot = (width / count, height) if along_x else (width, height / count)
    margin = 0.03 * min(width, height)
    fragments = []
    for index in range(count):
        left = index * slot[0] if along_x else 0.0
        top = 0.0 if along_x else index * slot[1]
        box = (left + margin, top + margin, left + slot[0] - margin, top + slot[1] - margin)
        fragments.append(_fragment(rng, box, target * share[index]))
    return tuple(fragments)


def _fragment(rng: np.random.Generator, box: tuple[float, ...], area: float) -> StarShape:
    """A soft blob roughly filling `box`, scaled to `area` unless that would leave the box."""
    left, top, right, bottom = box
    half_w, half_h = (right - left) / 2, (bottom - top) / 2
    cx = (left + right) / 2 + rng.uniform(-0.08, 0.08) * half_w
    cy = (top + bottom) / 2 + rng.uniform(-0.08, 0.08) * half_h
    theta = np.arange(OUTLINE_VERTICES) * (2 * math.pi / OUTLINE_VERTICES)
    tilt, power = rng.uniform(-0.3, 0.3), rng.uniform(2.2, 3.2)
    cos_t, sin_t = np.abs(np.cos(theta - tilt)), np.abs(np.sin(theta - tilt))
    squircle = ((cos_t / half_w) ** power + (sin_t / half_h) ** power) ** (-1.0 / power)
    unit = squircle * smooth_radii(rng, 1.0, OUTLINE_VERTICES, roughness=0.22, harmonics=48)
    unit_area = 0.5 * float(np.sum(unit**2)) * (2 * math.pi / OUTLINE_VERTICES)
    cos, sin = np.cos(theta), np.sin(theta)
    room_x = np.where(cos > 0, right - cx, cx - left) / np.maximum(np.abs(cos) * unit, 1e-9)
    room_y = np.where(sin > 0, bottom - cy, cy - top) / np.maximum(np.abs(sin) * unit, 1e-9)
    scale = min(math.sqrt(area / unit_area), float(room_x.min()), float(room_y.min()))
    return StarShape(float(cx), float(cy), tuple(float(r) for r in unit * scale))


def lesions(rng: np.random.Generator, fragments: tuple[StarShape, ...]) -> tuple[StarShape, ...]:
    """One to four tumour areas inside the tissue, together about 6-24% of its area."""
    tissue_area = sum(f.area for f in fragments)
    weights = np.array([f.area for f in fragments]) / tissue_area
    count = int(rng.integers(1, 5))
    areas = list(rng.uniform(0.08, 0.24) * tissue_area * rng.dirichlet(np.full(count, 3.0)))
    placed: list[StarShape] = []
    while areas and len(placed) < 4:
        lesion = _place_blob(rng, fragments, weights, placed, areas.pop(0), roughness=0.4)
        if lesion is not None:
            placed.append(lesion)
        missing = 0.06 * tissue_area - sum(p.area for p in placed)
        if not areas and missing > 0:
            areas.append(missing * 1.5)
    return tuple(placed)


def aggregates(
    rng: np.random.Generator, fragments: tuple[StarShape, ...], lesions: tuple[StarShape, ...]
) -> tuple[StarShape, ...]:
    """One to three lymphoid aggregates (a benign look-alike of tumour) outside the lesions."""
    tissue_area = sum(f.area for f in fragments)
    weights = np.array([f.area for f in fragments]) / tissue_area
    largest = 0.006 * tissue_area
    placed: list[StarShape] = []
    for _ in range(int(rng.integers(1, 4))):
        radius = rng.uniform(90.0, 260.0)
        area = min(math.pi * radius**2, largest)
        blob = _place_blob(rng, fragments, weights, [*lesions, *placed], area, roughness=0.15)
        if blob is not None:
            placed.append(blob)
    return tuple(placed)


def _place_blob(
    rng: np.random.Generator,
    fragments: tuple[StarShape, ...],
    weights: F64,
    avoid: list[StarShape],
    area: float,
    roughness: float,
) -> StarShape | None:
    """A blob of about `area` wholly inside the tissue and clear of `avoid`, or None."""
    for attempt in range(2000):
        if attempt and attempt % 200 == 0:
            area *= 0.75
        fragment = fragments[int(rng.choice(len(fragments), p=weights))]
        unit = smooth_radii(rng, 1.0, OUTLINE_VERTICES, roughness=roughness, harmonics=12)
        unit_area = 0.5 * float(np.sum(unit**2)) * (2 * math.pi / OUTLINE_VERTICES)
        radii = unit * math.sqrt(area / unit_area)
        left, top, right, bottom = fragment.bounds
        cx, cy = rng.uniform(left, right), rng.uniform(top, bottom)
        if fragment.signed_distance(np.array(cx), np.array(cy)) < 0.7 * radii.mean():
            continue
        blob = StarShape(float(cx), float(cy), tuple(float(r) for r in radii))
        vertices = blob.vertices
        scale = math.sqrt(sum(f.area for f in fragments))
        clearance = min(40.0, 0.02 * scale) + 0.05 * blob.max_radius
        inside = union_depth(fragments, vertices[:, 0], vertices[:, 1]).min() > clearance
        gap = min(150.0, 0.05 * scale)
        apart = all(
            math.dist((blob.cx, blob.cy), (other.cx, other.cy))
            > blob.max_radius + other.max_radius + gap
            for other in avoid
        )
        if inside and apart:
            return blob
    return None
