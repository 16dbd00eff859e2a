"""Reading a slide viewer's pixels: a settled screenshot, the synthetic truth turned and placed
as the viewer shows it, and whether the overlay changed a point."""

import io
from collections.abc import Callable

import numpy as np
from PIL import Image
from playwright.sync_api import Page
from scipy import ndimage

Point = tuple[int, int]


def settled(page: Page) -> np.ndarray:
    """The viewer's pixels once two screenshots in a row agree (tiles loaded and drawn)."""
    page.wait_for_load_state("networkidle")
    previous = None
    for _ in range(40):
        shot = np.asarray(Image.open(io.BytesIO(page.locator(".slide-viewer").screenshot())))
        if previous is not None and np.array_equal(shot, previous):
            return shot[..., :3].astype(int)
        previous = shot
        page.wait_for_timeout(250)
    raise AssertionError("the viewer kept changing: tiles never finished drawing")


def _tissue_on_screen(screen: np.ndarray) -> np.ndarray:
    """The stained pixels of the slide (the largest stained area, not its miniature)."""
    saturation = screen.max(axis=2) - screen.min(axis=2)
    stained, _ = ndimage.label(ndimage.binary_closing(saturation > 40, iterations=3))
    sizes = np.bincount(stained.ravel())
    sizes[0] = 0  # the glass
    return np.asarray(stained == sizes.argmax())


def as_displayed(labels: np.ndarray, screen: np.ndarray) -> np.ndarray:
    """The truth turned as the viewer shows the slide (it follows Image Orientation (Slide)):
    of the 8 rotations and mirrorings, the one whose tissue best covers the tissue on screen."""
    tissue = _tissue_on_screen(screen)
    box = _box(tissue)
    window = tissue[box[1] : box[3] + 1, box[0] : box[2] + 1]
    candidates = [np.rot90(grid, k) for grid in (labels, labels[:, ::-1]) for k in range(4)]

    def overlap(candidate: np.ndarray) -> float:
        x0, y0, x1, y1 = _box(candidate > 0)
        cropped = Image.fromarray((candidate[y0 : y1 + 1, x0 : x1 + 1] > 0).astype(np.uint8))
        resized = np.asarray(cropped.resize(window.shape[::-1], Image.Resampling.NEAREST)) > 0
        return float((resized == window).mean())

    return max(candidates, key=overlap)


def screen_mapping(screen: np.ndarray, labels: np.ndarray) -> Callable[[Point], Point]:
    """Truth pixel -> screen pixel, from the tissue's bounding box in both (the view fits)."""
    on_screen = _box(_tissue_on_screen(screen))
    in_truth = _box(labels > 0)
    scale = (on_screen[2] - on_screen[0]) / (in_truth[2] - in_truth[0])

    def to_screen(point: Point) -> Point:
        x, y = point
        return (
            round(on_screen[0] + (x - in_truth[0]) * scale),
            round(on_screen[1] + (y - in_truth[1]) * scale),
        )

    return to_screen


def _box(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


def inner_points(mask: np.ndarray, count: int = 40) -> list[Point]:
    """Points well inside `mask` (8 truth pixels from its edge), spread over it."""
    inner = ndimage.binary_erosion(mask, iterations=8)
    ys, xs = np.nonzero(inner)
    pick = np.linspace(0, len(xs) - 1, count).astype(int)
    return [(int(xs[i]), int(ys[i])) for i in pick]


def changed(shown: np.ndarray, hidden: np.ndarray, point: Point) -> bool:
    x, y = point
    patch = (slice(y - 1, y + 2), slice(x - 1, x + 2))
    return bool(np.abs(shown[patch] - hidden[patch]).mean() > 20)
