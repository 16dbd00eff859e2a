"""The [results] settings: defaults from default.toml, overrides, and refused values."""

import os

import pytest

from config import ConfigError, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("PATHSENTRY_"):
            monkeypatch.delenv(name)


def test_defaults() -> None:
    results = load_settings().results
    assert results.probability_floor == 0.1
    assert results.binary_segmentation is False
    assert results.max_foci == 5


def test_the_environment_overrides_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATHSENTRY_RESULTS__PROBABILITY_FLOOR", "0")
    monkeypatch.setenv("PATHSENTRY_RESULTS__BINARY_SEGMENTATION", "true")
    monkeypatch.setenv("PATHSENTRY_RESULTS__MAX_FOCI", "0")
    results = load_settings().results
    assert (results.probability_floor, results.binary_segmentation, results.max_foci) == (
        0.0,
        True,
        0,
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [("PROBABILITY_FLOOR", "1.0"), ("PROBABILITY_FLOOR", "-0.1"), ("MAX_FOCI", "-1")],
)
def test_values_out_of_range_are_refused(
    monkeypatch: pytest.MonkeyPatch, key: str, value: str
) -> None:
    monkeypatch.setenv(f"PATHSENTRY_RESULTS__{key}", value)
    with pytest.raises(ConfigError, match=f"results.{key.lower()}"):
        load_settings()
