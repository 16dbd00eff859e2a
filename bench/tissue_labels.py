"""Benchmark: connected-component labelling of a tissue mask on a 3000 px thumbnail, as JSON.

Side by side in one run: `inference.tissue.component_labels` (scipy.ndimage, one pass) and
the iterative torch labeller it replaced (max propagation with pointer jumping, kept below
only as the reference), on the same mask; both must find the same components.

Usage: PYTHONPATH=. python bench/tissue_labels.py [--side 3000] [--repeats 3]
"""

import argparse
import json
import os
import time
from collections.abc import Callable

import numpy as np
import torch
from scipy import ndimage
from torch.nn import functional

from inference.tissue import component_labels

Labeller = Callable[[np.ndarray], np.ndarray]
rounds_before = 0


def tissue_like_mask(side: int, sigma: float, seed: int = 0) -> np.ndarray:
    """Irregular tissue pieces and a little dust, as after opening and closing: smoothed noise."""
    rng = np.random.default_rng(seed)
    height, width = side // 2, side
    coarse = ndimage.gaussian_filter(rng.random((height, width)), sigma=sigma)
    fine = ndimage.gaussian_filter(rng.random((height, width)), sigma=2)
    pieces = coarse > np.quantile(coarse, 0.6)
    dust = fine > np.quantile(fine, 0.999)
    return bool_mask(pieces | dust)


def bool_mask(mask: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(mask, dtype=bool)


def iterative_torch_labels(mask: np.ndarray) -> np.ndarray:
    """The labeller before issue 18: 3x3 max propagation with pointer jumping until stable."""
    global rounds_before
    tensor = torch.from_numpy(mask)
    height, width = tensor.shape
    ids = torch.arange(1, height * width + 1, dtype=torch.int64).reshape(height, width)
    labels = torch.where(tensor, ids, 0)
    flat_mask = tensor.ravel()
    rounds = 0
    while True:
        rounds += 1
        spread = functional.max_pool2d(labels[None, None].double(), 3, stride=1, padding=1)[0, 0]
        grown = torch.where(tensor, spread.long(), 0)
        flat = grown.ravel()
        jumped = torch.where(flat_mask, flat[(flat - 1).clamp(min=0)], 0).reshape(height, width)
        jumped = torch.maximum(jumped, grown)
        if torch.equal(jumped, labels):
            rounds_before = rounds
            return labels.numpy()
        labels = jumped


def best_seconds(label: Labeller, mask: np.ndarray, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        label(mask)
        best = min(best, time.perf_counter() - started)
    return best


def components(labels: np.ndarray) -> int:
    return len(np.unique(labels[labels > 0]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--side", type=int, default=3000, help="thumbnail width in pixels")
    parser.add_argument("--sigma", type=float, default=50.0, help="tissue pieces' scale (px)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    mask = tissue_like_mask(args.side, args.sigma)
    found_after, found_before = (
        components(component_labels(mask)),
        components(iterative_torch_labels(mask)),
    )
    if found_after != found_before:
        raise SystemExit(f"labellers disagree: {found_after} vs {found_before} components")
    before = best_seconds(iterative_torch_labels, mask, args.repeats)
    after = best_seconds(component_labels, mask, args.repeats)
    result = {
        "thumbnail": list(mask.shape[::-1]),
        "tissue_fraction": round(float(mask.mean()), 3),
        "components": found_after,
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "before_iterative_torch_s": round(before, 4),
        "before_rounds": rounds_before,
        "after_scipy_ndimage_s": round(after, 4),
        "speed_up": round(before / after, 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
