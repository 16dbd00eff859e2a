"""Settings: defaults, an override file, the environment, and clear errors for bad values."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import ConfigError, load_settings
from config.settings import DimseDestination, FolderDestination


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No PATHSENTRY_* variable of the machine leaks into these tests."""
    for name in list(os.environ):
        if name.startswith("PATHSENTRY_"):
            monkeypatch.delenv(name)


def test_defaults_match_the_design() -> None:
    settings = load_settings()
    assert settings.dicom.ae_title == "PATHSENTRY" and settings.dicom.port == 11112
    assert (settings.web.host, settings.web.port) == ("127.0.0.1", 8000)
    assert settings.database_url.startswith("sqlite:///")
    assert settings.database_url.endswith("pathsentry.db")
    assert settings.inference.analysis_spacing_um == 0.476
    assert (settings.inference.tile_size, settings.inference.tile_keep) == (2200, 2000)
    assert settings.inference.top_k == 1000
    assert settings.export.destinations == []


def test_a_file_overrides_defaults_and_the_environment_overrides_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    override = tmp_path / "site.toml"
    override.write_text(
        '[dicom]\nport = 104\nae_title = "SITE"\n'
        '[[export.destinations]]\nkind = "folder"\nname = "share"\npath = "/srv/share"\n'
    )
    monkeypatch.setenv("PATHSENTRY_CONFIG", str(override))
    monkeypatch.setenv("PATHSENTRY_DICOM__PORT", "11113")
    settings = load_settings()
    assert settings.dicom.port == 11113  # environment beats the file
    assert settings.dicom.ae_title == "SITE"  # the file beats the defaults
    assert settings.dicom.max_associations == 16  # untouched keys keep their defaults
    assert settings.export.destinations == [
        FolderDestination(kind="folder", name="share", path=Path("/srv/share"))
    ]


def test_destinations_from_the_environment_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "PATHSENTRY_EXPORT__DESTINATIONS",
        '[{"kind": "dimse", "name": "pacs", "ae_title": "PACS", "host": "pacs", "port": 104}]',
    )
    (destination,) = load_settings().export.destinations
    assert isinstance(destination, DimseDestination) and destination.port == 104


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("PATHSENTRY_DICOM__PORT", "abc", "dicom.port = 'abc': Input should be a valid integer"),
        ("PATHSENTRY_DICOM__PORT", "70000", "dicom.port = '70000': Input should be less than"),
        ("PATHSENTRY_DICOM__AE_TITLE", "A" * 17, "dicom.ae_title"),
        ("PATHSENTRY_INFERENCE__DEVICE", "tpu", "use auto, cpu, cuda or cuda:N"),
        ("PATHSENTRY_INFERENCE__PRECISION", "int8", "'auto', 'float32', 'bfloat16' or 'float16'"),
        ("PATHSENTRY_TRIAGE__THRESHOLD", "1.5", "triage.threshold = '1.5'"),
        ("PATHSENTRY_DB__URL", "mysql://x", "use a sqlite:/// or postgresql+psycopg:// URL"),
        ("PATHSENTRY_DICOM__PORTT", "1", "dicom.portt = '1': Extra inputs are not permitted"),
    ],
)
def test_an_invalid_value_names_the_key_the_value_and_what_is_allowed(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert expected in str(error.value)
    assert variable in str(error.value)  # and how it was set


def test_tile_geometry_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATHSENTRY_INFERENCE__TILE_KEEP", "2201")
    with pytest.raises(ConfigError, match="tile_keep must not exceed tile_size"):
        load_settings()


def test_secrets_are_never_echoed_in_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "PATHSENTRY_EXPORT__DESTINATIONS",
        '[{"kind": "dicomweb", "name": "a", "url": "ftp://x", "token": "s3cret-token"}]',
    )
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert "s3cret-token" not in str(error.value)


def test_a_missing_or_broken_config_file_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATHSENTRY_CONFIG", str(tmp_path / "absent.toml"))
    with pytest.raises(ConfigError, match=r"absent\.toml, which is not a readable file"):
        load_settings()
    broken = tmp_path / "broken.toml"
    broken.write_text("[dicom\nport = 1\n")
    monkeypatch.setenv("PATHSENTRY_CONFIG", str(broken))
    with pytest.raises(ConfigError, match=r"cannot parse .*broken\.toml"):
        load_settings()


def test_importing_every_module_builds_no_settings() -> None:
    """Settings are built on first use, never as a side effect of an import."""
    script = (
        "import importlib, pkgutil\n"
        "import config, config.loading\n"
        "def refuse(*args, **kwargs):\n"
        "    raise AssertionError('settings were built at import')\n"
        "config.load_settings = config.loading.load_settings = refuse\n"
        "import db, dicom, inference, plugin\n"
        "for package in (config, db, dicom, inference, plugin):\n"
        "    for module in pkgutil.walk_packages(package.__path__, package.__name__ + '.'):\n"
        "        if '.migrations.' not in module.name:\n"
        "            importlib.import_module(module.name)\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
