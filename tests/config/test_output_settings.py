"""The output-affecting settings are read from the marks in the settings model."""

import pytest

from config import InferenceSettings, QualitySettings, ResultsSettings, Settings
from config.output_settings import output_settings, settings_digest

MARKED_INFERENCE = {
    "analysis_spacing_um": 0.5,
    "spacing_tolerance": 0.2,
    "map_spacing_um": 16.0,
    "tile_size": 2400,
    "tile_keep": 2200,
    "top_k": 500,
    "precision": "float32",
}
# What the results' files hold: the floor under the SEG, the foci and whether a BINARY SEG is.
MARKED_RESULTS = {"probability_floor": 0.2, "max_foci": 3, "binary_segmentation": True}
# The quality gate decides which tissue is scored and whether a slide is judged at all.
MARKED_QUALITY = {
    "enabled": False,
    "min_evaluable_fraction": 0.5,
    "focus_spacing_um": 2.0,
    "focus_block_um": 256.0,
    "min_sharpness": 0.3,
    "pen_green_red": 0.1,
    "pen_blue_red": 0.3,
    "pen_black_density": 0.4,
    "fold_density_ratio": 1.8,
    "fold_nuclear_ratio": 3.0,
    "bubble_min_radius_um": 200.0,
    "bubble_max_radius_um": 1000.0,
    "bubble_rim_contrast": 8.0,
    "bubble_brightening": 20.0,
    "coverslip_min_length_um": 2000.0,
    "coverslip_rim_contrast": 6.0,
    "min_defect_area_mm2": 0.05,
}


def _changed(section: str, key: str, value: object) -> Settings:
    if section == "inference":
        return Settings(inference=InferenceSettings(**{key: value}))
    if section == "quality":
        return Settings(quality=QualitySettings(**{key: value}))
    return Settings(results=ResultsSettings(**{key: value}))


MARKED = (
    [("inference", key, value) for key, value in sorted(MARKED_INFERENCE.items())]
    + [("results", key, value) for key, value in sorted(MARKED_RESULTS.items())]
    + [("quality", key, value) for key, value in sorted(MARKED_QUALITY.items())]
)


def test_the_marked_fields_are_the_output_settings() -> None:
    found = output_settings(Settings())
    assert set(found) == {f"{section}.{key}" for section, key, _ in MARKED}
    assert found["inference.top_k"] == 1000
    assert found["results.probability_floor"] == 0.1


@pytest.mark.parametrize(("section", "key", "value"), MARKED)
def test_each_marked_setting_changes_the_digest(section: str, key: str, value: object) -> None:
    assert settings_digest(_changed(section, key, value)) != settings_digest(Settings())


def test_an_unmarked_setting_leaves_the_digest() -> None:
    changed = Settings(inference=InferenceSettings(batch_size=16, reader_threads=8))
    assert settings_digest(changed) == settings_digest(Settings())
    assert len(settings_digest(changed)) == 16
