"""The outer outline of a region of pixels, along pixel edges, as a closed polygon."""

import math
from collections import defaultdict

import numpy as np

# Regions larger than this (pixels per side) are outlined on a coarser grid, so that an outline
# stays a few thousand points and its cost bounded; the outline then encloses the region.
MAX_SIDE = 1024

_Vertex = tuple[int, int]


def outer_outline(mask: np.ndarray) -> list[tuple[float, float]]:
    """The closed outline (x = column, y = row; first point repeated last) of the largest loop
    of `mask`'s boundary, only corners kept. `mask` is 2-D boolean with at least one pixel set."""
    factor = max(1, math.ceil(max(mask.shape) / MAX_SIDE))
    coarse = _any_in_blocks(mask, factor) if factor > 1 else mask
    loops = _loops(_edges(coarse))
    loop = max(loops, key=lambda points: abs(_signed_area(points)))
    corners = _corners(loop)
    return [(float(x * factor), float(y * factor)) for x, y in [*corners, corners[0]]]


def _any_in_blocks(mask: np.ndarray, factor: int) -> np.ndarray:
    rows, columns = (-(-side // factor) * factor for side in mask.shape)
    padded = np.zeros((rows, columns), dtype=bool)
    padded[: mask.shape[0], : mask.shape[1]] = mask
    blocks = padded.reshape(rows // factor, factor, columns // factor, factor)
    coarse: np.ndarray = np.asarray(blocks.any(axis=(1, 3)))
    return coarse


def _edges(mask: np.ndarray) -> dict[_Vertex, list[_Vertex]]:
    """Directed boundary edges, clockwise on screen (the region on the right of each)."""
    padded = np.pad(mask.astype(bool), 1)
    inside = padded[1:-1, 1:-1]
    sides = {
        # (neighbour outside, start corner offset, end corner offset) as (x, y)
        "top": (padded[:-2, 1:-1], (0, 0), (1, 0)),
        "right": (padded[1:-1, 2:], (1, 0), (1, 1)),
        "bottom": (padded[2:, 1:-1], (1, 1), (0, 1)),
        "left": (padded[1:-1, :-2], (0, 1), (0, 0)),
    }
    edges: dict[_Vertex, list[_Vertex]] = defaultdict(list)
    for neighbour, start, end in sides.values():
        rows, columns = np.nonzero(inside & ~neighbour)
        for row, column in zip(rows.tolist(), columns.tolist(), strict=True):
            edges[(column + start[0], row + start[1])].append((column + end[0], row + end[1]))
    return edges


def _loops(edges: dict[_Vertex, list[_Vertex]]) -> list[list[_Vertex]]:
    """Every closed loop of the edges; where two loops touch at a corner, the left turn is
    taken so that pixels meeting diagonally stay in one loop."""
    loops = []
    while edges:
        start = next(iter(edges))
        loop, here, heading = [start], start, (0, 0)
        while True:
            there = _next_vertex(edges, here, heading)
            heading = (there[0] - here[0], there[1] - here[1])
            here = there
            if here == start:
                break
            loop.append(here)
        loops.append(loop)
    return loops


def _next_vertex(
    edges: dict[_Vertex, list[_Vertex]], here: _Vertex, heading: tuple[int, int]
) -> _Vertex:
    ends = edges[here]

    def turn(end: _Vertex) -> int:
        # Cross product with rows growing downwards: negative is a left turn.
        return heading[0] * (end[1] - here[1]) - heading[1] * (end[0] - here[0])

    chosen = min(ends, key=turn)
    ends.remove(chosen)
    if not ends:
        del edges[here]
    return chosen


def _signed_area(points: list[_Vertex]) -> float:
    xs = np.array([p[0] for p in points], dtype=np.float64)
    ys = np.array([p[1] for p in points], dtype=np.float64)
    return 0.5 * float(np.dot(xs, np.roll(ys, -1)) - np.dot(ys, np.roll(xs, -1)))


def _corners(loop: list[_Vertex]) -> list[_Vertex]:
    """The loop without the points in the middle of straight runs."""
    count = len(loop)
    corners = []
    for index, point in enumerate(loop):
        before, after = loop[index - 1], loop[(index + 1) % count]
        incoming = (point[0] - before[0], point[1] - before[1])
        outgoing = (after[0] - point[0], after[1] - point[1])
        if incoming != outgoing:
            corners.append(point)
    return corners
