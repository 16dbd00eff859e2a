"""The output-affecting settings are read from the marks in the settings model."""

import pytest

from config import InferenceSettings, Settings
from config.output_settings import output_settings, settings_digest

MARKED = {
    "analysis_spacing_um": 0.5,
    "spacing_tolerance": 0.2,
    "map_spacing_um": 16.0,
    "tile_size": 2400,
    "tile_keep": 2200,
    "top_k": 500,
    "precision": "float32",
}


def test_the_marked_fields_are_the_output_settings() -> None:
    found = output_settings(Settings())
    assert set(found) == {f"inference.{key}" for key in MARKED}
    assert found["inference.top_k"] == 1000


@pytest.mark.parametrize(("key", "value"), sorted(MARKED.items()))
def test_each_marked_setting_changes_the_digest(key: str, value: object) -> None:
    changed = Settings(inference=InferenceSettings(**{key: value}))  # type: ignore[arg-type]
    assert settings_digest(changed) != settings_digest(Settings())


def test_an_unmarked_setting_leaves_the_digest() -> None:
    changed = Settings(inference=InferenceSettings(batch_size=16, reader_threads=8))
    assert settings_digest(changed) == settings_digest(Settings())
    assert len(settings_digest(changed)) == 16
