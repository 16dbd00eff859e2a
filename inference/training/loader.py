"""Batches of training patches, read ahead on a pool of threads, the same for a given step.

Which patches step s holds depends only on the seed and s, so a run resumed at step s
sees exactly the batches an uninterrupted run would have seen.
"""

from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import torch

from inference.training.patches import Patch, PatchSpec, draw_patches, read_patch
from inference.training.slides import PreparedSlide

# Random streams derived from the seed, one per purpose, so that none shifts another.
SAMPLING_STREAM = 1
VALIDATION_STREAM = 2


@dataclass(frozen=True)
class Batch:
    """A step's patches: pixels (N, H, W, 3 uint8) and labels (N, H, W uint8)."""

    step: int
    pixels: torch.Tensor
    labels: torch.Tensor


@dataclass(frozen=True)
class BatchPlan:
    """What batches hold: their size, patch size and class balance."""

    batch_size: int
    patch_size: int
    malignant_fraction: float
    seed: int


def step_specs(slides: Sequence[PreparedSlide], plan: BatchPlan, step: int) -> list[PatchSpec]:
    """The patches of one step (a pure function of the seed and the step)."""
    rng = np.random.default_rng([plan.seed, SAMPLING_STREAM, step])
    return draw_patches(slides, rng, plan.batch_size, plan.patch_size, plan.malignant_fraction)


def stack(step: int, patches: Sequence[Patch]) -> Batch:
    """Patches as one batch of tensors."""
    pixels = torch.from_numpy(np.stack([patch.pixels for patch in patches]))
    labels = torch.from_numpy(np.stack([patch.labels for patch in patches]))
    return Batch(step, pixels, labels)


class PatchLoader:
    """Reads the batches of steps [start, stop) ahead of the model, `depth` steps at most."""

    def __init__(
        self, slides: Sequence[PreparedSlide], plan: BatchPlan, workers: int, depth: int = 2
    ) -> None:
        self._slides = slides
        self._plan = plan
        self._depth = depth
        self._pool = ThreadPoolExecutor(max(1, workers), thread_name_prefix="pathsentry-patches")

    def __enter__(self) -> "PatchLoader":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop reading; patches in flight are dropped."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def batches(self, start: int, stop: int) -> Iterator[Batch]:
        """The batches of steps start to stop - 1, in order."""
        pending: deque[tuple[int, list[Future[Patch]]]] = deque()
        upcoming = iter(range(start, stop))
        for step in upcoming:
            pending.append((step, self._submit(step)))
            if len(pending) >= self._depth:
                break
        while pending:
            step, futures = pending.popleft()
            following = next(upcoming, None)
            if following is not None:
                pending.append((following, self._submit(following)))
            yield stack(step, [future.result() for future in futures])

    def _submit(self, step: int) -> list[Future[Patch]]:
        size = self._plan.patch_size
        return [
            self._pool.submit(read_patch, self._slides[spec.slide], spec, size)
            for spec in step_specs(self._slides, self._plan, step)
        ]


def validation_batches(
    slides: Sequence[PreparedSlide], plan: BatchPlan, count: int, workers: int
) -> list[Batch]:
    """A fixed, balanced set of `count` patches from the validation slides, in batches."""
    if not slides or count < 1:
        return []
    rng = np.random.default_rng([plan.seed, VALIDATION_STREAM])
    specs = draw_patches(slides, rng, count, plan.patch_size, plan.malignant_fraction)
    with ThreadPoolExecutor(max(1, workers), thread_name_prefix="pathsentry-validation") as pool:
        patches = list(
            pool.map(lambda spec: read_patch(slides[spec.slide], spec, plan.patch_size), specs)
        )
    size = plan.batch_size
    return [stack(-1, patches[i : i + size]) for i in range(0, len(patches), size)]
