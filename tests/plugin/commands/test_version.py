"""`pathsentry --version`: the installed version, even when the settings are broken."""

from importlib import metadata

import pytest
from typer.testing import CliRunner

from plugin.cli import app


def test_version_prints_the_installed_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATHSENTRY_WEB__PORT", "-1")  # --version needs no valid settings
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"pathsentry {metadata.version('pathsentry')}\n"
