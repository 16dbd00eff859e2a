"""config/default.toml holds every key of the settings model, with the model's defaults."""

import os
import tomllib
from importlib import resources
from typing import Any

import pytest
from pydantic import BaseModel

from config import Settings, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("PATHSENTRY_"):
            monkeypatch.delenv(name)


def _model_keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    keys = set()
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys |= _model_keys(annotation, f"{prefix}{name}.")
        else:
            keys.add(prefix + name)
    return keys


def _file_keys(table: dict[str, Any], prefix: str = "") -> set[str]:
    keys = set()
    for name, value in table.items():
        if isinstance(value, dict):
            keys |= _file_keys(value, f"{prefix}{name}.")
        else:
            keys.add(prefix + name)
    return keys


def test_every_setting_is_in_the_defaults_file_and_nothing_else() -> None:
    with (resources.files("config") / "default.toml").open("rb") as handle:
        defaults = tomllib.load(handle)
    in_file, in_model = _file_keys(defaults), _model_keys(Settings)
    assert sorted(in_model - in_file) == []
    assert sorted(in_file - in_model) == []


def test_the_defaults_file_says_what_the_model_defaults_to() -> None:
    assert load_settings().model_dump() == Settings().model_dump()
