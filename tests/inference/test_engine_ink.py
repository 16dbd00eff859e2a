"""The engine finds tissue with the operator's pen ink colours (`[quality] pen_*`), the ones
the quality gate marks as pen: ink on glass is no tissue, by the same rule in both."""

from inference.memory_source import ArraySource
from inference.quality import QualityParameters
from tests.inference.fixtures import SPACING, engine, loaded, tissue_image
from tests.inference.test_engine_quality import BlueModel

GREEN_INK = (40, 150, 70)


def _tissue_pixels_in_the_stroke(quality: QualityParameters) -> int:
    image = tissue_image(300, 400)
    image[4:16, 100:300] = GREEN_INK  # a marker stroke on the glass above the tissue
    source = ArraySource.pyramid(image, SPACING, 4)
    plan = engine(loaded(BlueModel()), quality=quality).prepare(source)
    assert plan.tissue.mask.shape == image.shape[:2]  # the thumbnail is the full level
    return int(plan.tissue.mask[4:16, 100:300].sum())


def test_green_ink_on_glass_is_not_tissue_by_default() -> None:
    assert _tissue_pixels_in_the_stroke(QualityParameters(enabled=False)) == 0


def test_tissue_detection_uses_the_configured_ink_colours() -> None:
    # Colour differences no ink reaches: the stroke is no longer ink, so, darker than the
    # glass, it counts as tissue.
    lenient = QualityParameters(
        enabled=False, pen_green_red=5.0, pen_blue_red=5.0, pen_black_density=5.0
    )
    assert _tissue_pixels_in_the_stroke(lenient) > 0.9 * 12 * 200
