"""The held-out slides of the QC evaluation: per seed, a clean slide and one per artefact.

Strength and area vary with the seed, so the set covers faint and bad artefacts alike; a
last slide per seed is mostly out of focus (the gate must call it not evaluable). Seeds from
EVALUATION_SEEDS on are kept for evaluation: calibrate the checks on lower ones.
"""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from inference.synthetic import ArtefactKind, ArtefactSpec
from plugin.tools.synthetic_slide import SyntheticSlideRequest, write_synthetic_slide

EVALUATION_SEEDS = 1000
CASE_FILE = "qc-case.json"


@dataclass(frozen=True)
class QcCase:
    """One slide of the set: its name, kind, seed and the artefacts drawn on it."""

    name: str
    kind: str
    seed: int
    specs: tuple[ArtefactSpec, ...]

    def description(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "seed": self.seed,
            "artefacts": [spec.describe() for spec in self.specs],
        }


def held_out_cases(seeds: Sequence[int]) -> list[QcCase]:
    """Per seed: clean, blur, pen, fold, bubble (every other seed a coverslip edge instead),
    and a mostly blurred slide."""
    cases = []
    for index, seed in enumerate(seeds):
        kind = "malignant" if index % 2 else "benign"
        rng = np.random.default_rng([seed, 0x9C])
        cases.append(QcCase(f"{seed}-clean", kind, seed, ()))
        for artefact in ArtefactKind:
            spec = ArtefactSpec(
                artefact,
                strength=round(float(rng.uniform(0.4, 1.0)), 2),
                area=round(float(rng.uniform(0.08, 0.25)), 2),
                edge=artefact is ArtefactKind.BUBBLE and index % 2 == 1,
            )
            cases.append(QcCase(f"{seed}-{artefact.value}", kind, seed, (spec,)))
        heavy = ArtefactSpec(ArtefactKind.BLUR, strength=0.8, area=0.9)
        cases.append(QcCase(f"{seed}-heavy-blur", kind, seed, (heavy,)))
    return cases


def write_cases(
    folder: Path,
    cases: Sequence[QcCase],
    width_um: float,
    height_um: float,
    advance: Callable[[QcCase], None] = lambda _case: None,
) -> list[Path]:
    """Each case's slide folder, written unless an identical one is already there."""
    paths = []
    for case in cases:
        out = folder / case.name
        described = {**case.description(), "width_um": width_um, "height_um": height_um}
        marker = out / CASE_FILE
        if not (marker.is_file() and json.loads(marker.read_text()) == described):
            marker.unlink(missing_ok=True)
            request = SyntheticSlideRequest(
                kind=case.kind,
                seed=case.seed,
                width_um=width_um,
                height_um=height_um,
                artefacts=case.specs,
            )
            write_synthetic_slide(out, request)
            marker.write_text(json.dumps(described))
        paths.append(out)
        advance(case)
    return paths
