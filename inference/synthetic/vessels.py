"""Capillaries and venules in the stroma: a lumen, flat endothelial nuclei, red blood cells."""

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from inference.synthetic.blobs import Blobs
from inference.synthetic.cells import grid_boxes
from inference.synthetic.layout import SlideLayout
from inference.synthetic.streams import Purpose, uniform

F64 = NDArray[np.float64]
Bounds = tuple[float, float, float, float]

BOX_UM = 90.0
RED_CELL_RADIUS_UM = 3.6
RED_CELLS_PER_VESSEL = 40
LAYER_SCALE = np.array([1.0, 2.2, 1.3])  # vessels are larger in submucosa, by wall.Layer


@dataclass(frozen=True)
class Vessels:
    """Lumina, endothelial nuclei and red cells of the vessels near a region."""

    lumina: Blobs
    nuclei: Blobs
    red_cells: Blobs


def vessels(layout: SlideLayout, bounds: Bounds) -> Vessels:
    """Every vessel whose parts may reach into bounds."""
    row, col = grid_boxes(bounds, 70.0, BOX_UM)
    seed = layout.seed

    def draw(field: int) -> F64:
        return uniform(seed, Purpose.VESSEL, row, col, field)

    x = (col + draw(0)) * BOX_UM
    y = (row + draw(1)) * BOX_UM
    inside = layout.tissue_depth(x, y) > 0.0
    scale = np.ones(x.shape)
    scale[inside] = LAYER_SCALE[layout.layer(x[inside], y[inside])]
    a = (4.5 + 9.0 * draw(2) ** 2) * scale
    b = a * (0.45 + 0.5 * draw(3))
    keep = (draw(4) < 0.55) & (layout.tissue_depth(x, y) > a + 5.0)
    if layout.aggregates:
        keep &= layout.aggregate_depth(x, y) < 0.0
    keep[keep] = layout.glands.clear_of(x[keep], y[keep], a[keep] + 5.0)
    ident = (row * 100_003 + col)[keep]
    x, y, a, b = x[keep], y[keep], a[keep], b[keep]
    angle = (math.pi * draw(5))[keep]
    lumina = Blobs(
        x=x,
        y=y,
        a=a,
        b=b,
        angle=angle,
        wobble2=np.zeros(x.shape),
        wobble3=(0.08 * (draw(6) - 0.5))[keep],
        phase=(2 * math.pi * draw(7))[keep],
        value=np.ones(x.shape),
        texture=np.zeros(x.shape),
        rim=np.zeros(x.shape),
        hollow=np.zeros(x.shape),
        nucleolus=np.zeros(x.shape),
    )
    return Vessels(lumina, _endothelium(seed, ident, lumina), _red_cells(seed, ident, lumina))


def _on_ellipse(lumina: Blobs, t: F64, scale: F64) -> tuple[F64, F64]:
    """Points at parameter t (radians) on each lumen's ellipse, scaled from its centre."""
    cos, sin = np.cos(lumina.angle)[:, None], np.sin(lumina.angle)[:, None]
    u = lumina.a[:, None] * np.cos(t) * scale
    v = lumina.b[:, None] * np.sin(t) * scale
    return lumina.x[:, None] + u * cos - v * sin, lumina.y[:, None] + u * sin + v * cos


def _endothelium(seed: int, ident: F64, lumina: Blobs) -> Blobs:
    """Two to four flat nuclei lying along the vessel wall."""
    k = np.arange(4)[None, :]
    count = 2 + np.floor(3 * uniform(seed, Purpose.VESSEL, ident, 20))[:, None]
    t = 2 * math.pi * ((k + uniform(seed, Purpose.VESSEL, ident[:, None], k, 21) * 0.5) / count)
    x, y = _on_ellipse(lumina, t, np.ones_like(t) * 1.0)
    tangent = (
        np.arctan2(lumina.b[:, None] * np.cos(t), -lumina.a[:, None] * np.sin(t))
        + lumina.angle[:, None]
    )
    keep = (k < count).ravel()
    n = int(keep.sum())
    shade = uniform(seed, Purpose.VESSEL, ident[:, None], k, 22).ravel()[keep]
    return Blobs(
        x=x.ravel()[keep],
        y=y.ravel()[keep],
        a=4.0 + 1.5 * shade,
        b=np.full(n, 1.2),
        angle=tangent.ravel()[keep],
        wobble2=np.zeros(n),
        wobble3=np.zeros(n),
        phase=np.zeros(n),
        value=0.6 + 0.15 * shade,
        texture=np.full(n, 0.15),
        rim=np.full(n, 0.1),
        hollow=np.zeros(n),
        nucleolus=np.zeros(n),
    )


def _red_cells(seed: int, ident: F64, lumina: Blobs) -> Blobs:
    """Red blood cells packed in the lumen (some vessels are empty, some congested)."""
    k = np.arange(RED_CELLS_PER_VESSEL)[None, :]
    fill = uniform(seed, Purpose.RED_CELLS, ident, 0)[:, None]

    def draw(field: int) -> F64:
        return uniform(seed, Purpose.RED_CELLS, ident[:, None], k, field)

    t = 2 * math.pi * draw(1)
    scale = np.sqrt(draw(2)) * np.clip(1.0 - RED_CELL_RADIUS_UM / lumina.b[:, None], 0.0, 1.0)
    x, y = _on_ellipse(lumina, t, scale)
    area = math.pi * lumina.a * lumina.b / (math.pi * RED_CELL_RADIUS_UM**2)
    keep = (k < fill * area[:, None] * 1.2).ravel()
    n = int(keep.sum())
    return Blobs(
        x=x.ravel()[keep],
        y=y.ravel()[keep],
        a=np.full(n, RED_CELL_RADIUS_UM),
        b=RED_CELL_RADIUS_UM * (0.8 + 0.2 * draw(3).ravel()[keep]),
        angle=2 * math.pi * draw(4).ravel()[keep],
        wobble2=np.zeros(n),
        wobble3=np.zeros(n),
        phase=np.zeros(n),
        value=np.full(n, 0.75),
        texture=np.zeros(n),
        rim=np.zeros(n),
        hollow=np.full(n, 0.35),
        nucleolus=np.zeros(n),
    )
