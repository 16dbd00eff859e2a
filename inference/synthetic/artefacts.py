"""Scan artefacts asked for by name: out of focus, pen ink, tissue folds, air bubbles.

A spec says what to draw (`pen:strength=0.8:area=0.1`); placing it on a slide turns it into
shapes in micrometres, drawn from the slide's seed, so that it renders the same in any region
at any pixel spacing and its truth mask is the shape itself.
"""

import dataclasses
import enum
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from inference.synthetic.artefact_shapes import Ellipse, Path, Shape, scaled
from inference.synthetic.geometry import SampleGrid
from inference.synthetic.layout import SlideLayout, SyntheticSlideError
from inference.synthetic.render import render_labels

# Optical density per unit of ink (red, green, blue): ink passes its own colour.
PEN_INKS = {
    "blue": (0.85, 0.55, 0.10),
    "green": (0.80, 0.22, 0.62),
    "black": (0.95, 0.95, 0.90),
    "red": (0.10, 0.85, 0.65),
}
DEFAULT_STRENGTH = 0.7
DEFAULT_AREA = 0.15
PLACEMENT_SPACING_UM = 16.0  # tissue is looked up on this grid to place artefacts on it
EDGE_RADIUS_UM = 1e9
FIT_ROUNDS = 4
_SALT = 0xA27E


class ArtefactKind(enum.StrEnum):
    """What went wrong on the slide or in the scanner."""

    BLUR = "blur"
    PEN = "pen"
    FOLD = "fold"
    BUBBLE = "bubble"


@dataclass(frozen=True)
class ArtefactSpec:
    """One artefact to draw: strength 0..1 (how bad), area (about this share of the tissue)."""

    kind: ArtefactKind
    strength: float = DEFAULT_STRENGTH
    area: float = DEFAULT_AREA
    ink: str | None = None  # pen only: one of PEN_INKS; default drawn from the seed
    edge: bool = False  # bubble only: the coverslip's edge (air beyond it), not a round bubble

    def __post_init__(self) -> None:
        if not 0.0 < self.strength <= 1.0:
            raise SyntheticSlideError(f"{self.kind}: strength={self.strength} must be in (0, 1]")
        if not 0.0 < self.area <= 1.0:
            raise SyntheticSlideError(f"{self.kind}: area={self.area} must be in (0, 1]")
        if self.ink is not None and (self.kind is not ArtefactKind.PEN or self.ink not in PEN_INKS):
            raise SyntheticSlideError(
                f"{self.kind}: ink={self.ink!r} is only for pen, one of {', '.join(PEN_INKS)}"
            )
        if self.edge and self.kind is not ArtefactKind.BUBBLE:
            raise SyntheticSlideError(f"{self.kind}: edge is only for bubble")

    @classmethod
    def parse(cls, text: str) -> "ArtefactSpec":
        """`KIND[:strength=S][:area=A][:ink=COLOUR][:edge]`, e.g. `pen:area=0.1:ink=blue`."""
        name, *options = text.strip().split(":")
        kinds = ", ".join(kind.value for kind in ArtefactKind)
        try:
            kind = ArtefactKind(name.strip().lower())
        except ValueError:
            raise SyntheticSlideError(
                f"artefact {text!r}: unknown kind {name!r}; use one of {kinds}"
            ) from None
        values: dict[str, float | str | bool] = {}
        for option in options:
            key, sep, value = option.partition("=")
            key = key.strip().lower()
            if key in values or (key, bool(sep)) not in _OPTIONS:
                raise SyntheticSlideError(
                    f"artefact {text!r}: {option!r} is not strength=S, area=A, ink=COLOUR or "
                    "edge (each at most once)"
                )
            values[key] = _OPTION_VALUE[key](text, key, value)
        return cls(kind, **values)  # type: ignore[arg-type]

    def describe(self) -> str:
        """The spec as `parse` reads it."""
        ink = f":ink={self.ink}" if self.ink else ""
        edge = ":edge" if self.edge else ""
        return f"{self.kind}:strength={self.strength:g}:area={self.area:g}{ink}{edge}"


@dataclass(frozen=True)
class Artefact:
    """A placed artefact: its shape in micrometres and what it does there."""

    kind: ArtefactKind
    strength: float
    shape: Shape
    ink: tuple[float, float, float] = (0.0, 0.0, 0.0)  # pen only: optical density per unit

    @property
    def blur_sigma_um(self) -> float:
        """The defocus, a Gaussian point spread: 0.5 um (barely) to 4 um (nuclei smeared out)."""
        return 0.5 + 3.5 * self.strength


def place_artefacts(layout: SlideLayout, specs: tuple[ArtefactSpec, ...]) -> tuple[Artefact, ...]:
    """Shapes for every spec, centred on tissue; the same layout and specs give the same shapes."""
    if not specs:
        return ()
    spacing = PLACEMENT_SPACING_UM
    labels = render_labels(
        layout,
        spacing,
        0,
        0,
        math.ceil(layout.width_um / spacing),
        math.ceil(layout.height_um / spacing),
    )
    rows, cols = np.nonzero(labels)
    if rows.size == 0:
        raise SyntheticSlideError("the slide has no tissue to put artefacts on")
    points = np.stack([(cols + 0.5) * spacing, (rows + 0.5) * spacing], axis=1)
    tissue_um2 = rows.size * spacing**2
    placed = []
    for index, spec in enumerate(specs):
        rng = np.random.default_rng(
            [layout.seed, _SALT, index, list(ArtefactKind).index(spec.kind)]
        )
        if spec.edge:
            placed.append(_coverslip_edge(spec, rng, points))
            continue
        centre = points[rng.integers(points.shape[0])]
        artefact = _place(spec, rng, centre, spec.area * tissue_um2)
        placed.append(_fitted(artefact, spec.area, labels > 0, spacing))
    return tuple(placed)


def _fitted(artefact: Artefact, area: float, tissue: np.ndarray, spacing: float) -> Artefact:
    """The artefact grown or shrunk about its centre until it covers about `area` of the tissue.

    Shapes are sized for the area alone; part of them falls on glass, more so near an edge.
    """
    grid = SampleGrid(spacing, 0, 0, tissue.shape[1], tissue.shape[0])
    total = int(np.count_nonzero(tissue))
    for _ in range(FIT_ROUNDS):
        inside = artefact.shape.depth_grid(grid.xs, grid.ys, 0.0) > 0.0
        covered = int(np.count_nonzero(tissue & inside))
        ratio = area * total / max(covered, 1)
        if abs(ratio - 1.0) < 0.05:
            break
        factor = math.sqrt(min(4.0, ratio))
        artefact = dataclasses.replace(artefact, shape=scaled(artefact.shape, factor))
    return artefact


def _place(
    spec: ArtefactSpec, rng: np.random.Generator, centre: np.ndarray, area_um2: float
) -> Artefact:
    angle = float(rng.uniform(0.0, math.pi))
    if spec.kind is ArtefactKind.BLUR:
        aspect = float(rng.uniform(1.0, 2.0))
        minor = math.sqrt(area_um2 / (math.pi * aspect))
        shape: Shape = Ellipse(float(centre[0]), float(centre[1]), minor * aspect, minor, angle)
    elif spec.kind is ArtefactKind.BUBBLE:
        radius = math.sqrt(area_um2 / math.pi)
        shape = Ellipse(float(centre[0]), float(centre[1]), radius, radius * 0.97, angle)
    elif spec.kind is ArtefactKind.FOLD:
        length = math.sqrt(area_um2 * float(rng.uniform(5.0, 9.0)))
        shape = _wavy_path(rng, centre, angle, length, area_um2 / (2.0 * length), 0.04)
    else:
        # A marker line about 6 to 12 times as long as it is wide, at most 0.3 mm wide.
        half_width = min(150.0, math.sqrt(area_um2 / (4.0 * float(rng.uniform(6.0, 12.0)))))
        shape = _wavy_path(rng, centre, angle, area_um2 / (2.0 * half_width), half_width, 0.12)
    ink = spec.ink or str(rng.choice(sorted(PEN_INKS)))
    return Artefact(spec.kind, spec.strength, shape, PEN_INKS[ink])


def _coverslip_edge(spec: ArtefactSpec, rng: np.random.Generator, points: np.ndarray) -> Artefact:
    """Air beyond a straight edge that leaves about `area` of the tissue uncovered."""
    angle = float(rng.uniform(0.0, 2.0 * math.pi))
    normal = np.array([math.cos(angle), math.sin(angle)])
    offset = float(np.quantile(points @ normal, 1.0 - spec.area))
    # A circle so large that its rim runs straight across any slide.
    centre = (offset + EDGE_RADIUS_UM) * normal
    circle = Ellipse(float(centre[0]), float(centre[1]), EDGE_RADIUS_UM, EDGE_RADIUS_UM, 0.0)
    return Artefact(spec.kind, spec.strength, circle)


def _wavy_path(
    rng: np.random.Generator,
    centre: np.ndarray,
    angle: float,
    length: float,
    half_width: float,
    wave: float,
) -> Path:
    """A gently curving stroke of `length` through `centre` (wave: bend per unit length)."""
    count = max(8, min(64, round(length / 40.0)))
    t = np.linspace(-0.5, 0.5, count)
    phase = rng.uniform(0.0, 2.0 * math.pi)
    side = wave * length * np.sin(2.0 * math.pi * t * rng.uniform(0.6, 1.4) + phase)
    direction = np.array([math.cos(angle), math.sin(angle)])
    normal = np.array([-direction[1], direction[0]])
    points = centre + t[:, None] * length * direction + side[:, None] * normal
    return Path(points.astype(np.float64), float(max(half_width, 8.0)))


def _number(text: str, key: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise SyntheticSlideError(f"artefact {text!r}: {key}={value!r} is not a number") from None
    if not math.isfinite(number):
        raise SyntheticSlideError(f"artefact {text!r}: {key}={value!r} is not a finite number")
    return number


def _word(text: str, key: str, value: str) -> str:
    return value.strip().lower()


def _flag(text: str, key: str, value: str) -> bool:
    return True


# Options as (name, whether it takes "=value"), and how each value reads.
_OPTIONS = {("strength", True), ("area", True), ("ink", True), ("edge", False)}
_OPTION_VALUE: dict[str, Callable[[str, str, str], float | str | bool]] = {
    "strength": _number,
    "area": _number,
    "ink": _word,
    "edge": _flag,
}
