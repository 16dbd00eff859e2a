"""Builds the settings from defaults, an override file and the environment.

Each command builds them once, when it starts (never at import time), and hands them down.
"""

import os
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from config.errors import ConfigError
from config.settings import Settings

CONFIG_ENV = "PATHSENTRY_CONFIG"


class _LoadedSettings(Settings):
    """Settings whose environment variables override the values passed in (the TOML files)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return env_settings, init_settings


def load_settings(config_file: Path | None = None) -> Settings:
    """Read default.toml, then `config_file` (or $PATHSENTRY_CONFIG), then the environment."""
    values = _read_toml(resources.files("config") / "default.toml", "the defaults file")
    override = config_file or _env_config_file()
    if override is not None:
        if not override.is_file():
            raise ConfigError(f"{CONFIG_ENV} names {override}, which is not a readable file")
        values = _merge(values, _read_toml(override, str(override)))
    try:
        return _LoadedSettings(**values)
    except ValidationError as error:
        raise ConfigError(_describe(error)) from None


def _env_config_file() -> Path | None:
    named = os.environ.get(CONFIG_ENV, "").strip()
    return Path(named).expanduser() if named else None


def _read_toml(source: Any, label: str) -> dict[str, Any]:
    try:
        with source.open("rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"cannot parse {label}: {error}") from None
    except OSError as error:
        raise ConfigError(f"cannot read {label}: {error.strerror}") from None
    return data


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _describe(error: ValidationError) -> str:
    lines = ["invalid settings:"]
    for problem in error.errors():
        key = ".".join(str(part) for part in problem["loc"])
        env = CONFIG_ENV.replace("CONFIG", "") + "__".join(
            str(part).upper() for part in problem["loc"] if isinstance(part, str)
        )
        value = problem.get("input")
        shown = "(missing)" if problem["type"] == "missing" else repr(value)
        if "token" in key or "password" in key:
            shown = "(hidden)"
        lines.append(f"  {key} = {shown}: {problem['msg']} (set as {key} in a file, or {env})")
    return "\n".join(lines)
