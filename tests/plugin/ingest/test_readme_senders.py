"""The README's sender examples work as written, in an activated PathSentry virtual environment
too (whose pynetdicom scripts storescu and storescp shadow dcmtk's on PATH)."""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from plugin.tools.synthetic_slide import SyntheticSlide
from tests.plugin.ingest.conftest import Ingest
from tests.plugin.ingest.senders import dcmtk

README = Path(__file__).resolve().parents[3] / "README.md"


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


def _sender_examples() -> list[str]:
    text = README.read_text()
    section = text.split("Then check the connection and send a slide", 1)[1]
    block = re.search(r"```\n(.*?)```", section, re.DOTALL)
    assert block is not None
    return [line for line in block.group(1).splitlines() if line.strip()]


def _activated() -> dict[str, str]:
    """The environment of a shell in which the virtual environment is activated."""
    venv_bin = Path(sys.executable).parent
    return {
        **os.environ,
        "VIRTUAL_ENV": str(venv_bin.parent),
        "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",
    }


def test_the_readme_sender_examples_work_in_an_activated_environment(
    ingest: Ingest, slide: SyntheticSlide
) -> None:
    dcmtk("storescu")  # skips (or fails in CI) without dcmtk
    examples = _sender_examples()
    assert [shlex.split(line)[0].rsplit("/", 1)[-1] for line in examples] == [
        "echoscu",
        "storescu",
    ]
    for line in examples:
        words = shlex.split(line.replace("pathsentry-host", "127.0.0.1"))
        words = [str(ingest.port) if word == "11112" else word for word in words]
        if words[-1] == "slide/*.dcm":
            words[-1:] = [str(path) for path in slide.levels]
        done = subprocess.run(
            words, env=_activated(), capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, done.stderr
    assert ingest.counts()[2] == len(slide.levels)
