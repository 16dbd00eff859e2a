"""A 40x-only slide analysed from frames decoded at half size scores as when read at 40x."""

from pathlib import Path

import pytest

from dicom.slide import WholeSlideImage
from inference.engine import Engine, EngineOptions
from inference.model import load_model, resolve_weights
from inference.source import PlainSource
from plugin.tools.synthetic_slide import SyntheticSlideRequest, write_synthetic_slide


def forty_x_only(out: Path, kind: str, seed: int) -> Path:
    """A held-out synthetic slide (seeds above 100) without its 20x level."""
    request = SyntheticSlideRequest(kind=kind, seed=seed, width_um=1000, height_um=800)
    write_synthetic_slide(out, request)
    (out / "level-1.dcm").unlink()
    return out


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "seed"), [("malignant", 101), ("benign", 102)])
def test_half_size_decoding_keeps_the_score(tmp_path: Path, kind: str, seed: int) -> None:
    engine = Engine(load_model(resolve_weights(None)), EngineOptions(device="cpu"))
    with WholeSlideImage.open(forty_x_only(tmp_path, kind, seed)) as slide:
        assert slide.levels[1].pixel_spacing_um == pytest.approx(0.952)
        reduced = engine.run(slide)
        resampled = engine.run(PlainSource(slide))
    assert (reduced.statistics.decode_reduction, reduced.statistics.resampled) == (2, False)
    assert (resampled.statistics.decode_reduction, resampled.statistics.resampled) == (1, True)
    assert reduced.statistics.tiles == resampled.statistics.tiles
    assert reduced.score == pytest.approx(resampled.score, abs=0.01)
